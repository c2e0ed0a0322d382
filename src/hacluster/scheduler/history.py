"""Status section -> per-primitive state: role per node from lrm_rsc_op history, failures,
on-fail, fail counts with failure-timeout, and anonymous clone instance mapping.

Owns Pacemaker Explained's operation-history semantics (rc codes, op-status, probes,
migration-threshold, failure-timeout). Must never do I/O or read the clock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from hacluster.common import INFINITY, parse_boolean, parse_score
from hacluster.scheduler.instances import Entry, clone_of, map_histories
from hacluster.scheduler.model import (
    EMPTY_STATE,
    Node,
    PrimitiveState,
    RecurringOp,
    Resource,
    Role,
)
from hacluster.scheduler.operations import NodeHistory, replay_ops
from hacluster.scheduler.unpack_time import interval_value

Element = Any
# Meta attributes that old CIBs also wrote as instance attributes; never part of a digest.
META_NAMES = frozenset({"target-role", "is-managed", "resource-stickiness", "priority",
                        "migration-threshold", "multiple-active", "failure-timeout",
                        "allow-migrate", "restart-type", "requires", "maintenance"})
re_instance = re.compile(r":\d+(?=#|$)")


def node_by_state(ns: Element, nodes: Mapping[str, Node]) -> str | None:
    for name, node in nodes.items():
        if node.id == ns.get("id"):
            return name
    uname = ns.get("uname")
    return uname if uname in nodes else None


def unpack_status(root: Element, nodes: dict[str, Node], resources: dict[str, Resource],
                  top: tuple[str, ...], props: Mapping[str, str], stonith: bool,
                  fence: dict[str, str], now_s: int
                  ) -> tuple[dict[str, PrimitiveState], dict[str, Resource], dict[str, str],
                             dict[str, Node], dict[str, tuple[str, ...]]]:
    locks: dict[str, tuple[str, int]] = {}
    entries, thought_active = read_histories(root, nodes, resources, stonith, locks)
    mapped = map_histories(entries, resources, nodes, stonith, props)
    histories, names, first_active = mapped.histories, mapped.names, mapped.first_active
    for node in thought_active:
        # Fencing is explained with the first resource (as numbered) found active there.
        fence.setdefault(node, f"{first_active.get(node, node)} is thought to be active there")
    failures: FailureIndex = {}
    states = {rid: build_state(rid, resources, nodes, histories.get(rid, {}), props, now_s,
                               failures, names.get(rid))
              for rid, rsc in resources.items() if rsc.kind == "primitive"}
    for rid, (node, _when) in locks.items():
        if rid in states:
            states[rid] = replace(states[rid], locked_to=node)
    nodes = dict(nodes)
    # Histories in the order they were read (node by node): a failure read on a node
    # already unclean (lost, or fenced for an earlier failure) is moot, as in Pacemaker
    # ("no extra processing needed"); the resource just moves off the fenced node. Only
    # on-fail=stop still holds: its next role (Stopped) was set when the failed op was
    # read, whatever happens to the node.
    unclean = {n for n, node in nodes.items() if node.unclean}
    for rid, node in read_order(entries, names):
        hist = histories[rid][node]
        if hist.failed and node in unclean and rid in states \
                and node in states[rid].failed_nodes and hist.on_fail != "stop":
            left = states[rid].failed_nodes - {node}
            states[rid] = replace(states[rid], failed_nodes=left, blocked=any(
                states[rid].on_fail.get(n) == "block" for n in left))
            continue
        apply_node_effects(rid, node, hist, nodes, fence, stonith)
        if nodes[node].unclean:
            unclean.add(node)
    deletable = stale_histories(entries, resources, nodes)
    return states, resources, fence, nodes, deletable


def read_order(entries: list[Entry], names: Mapping[str, Mapping[str, str]]
               ) -> list[tuple[str, str]]:
    """(resource, node) of every mapped history, in the order the entries were read."""
    where = {(node, lrm_id): i for i, (node, lrm_id, _h) in enumerate(entries)}
    pairs = sorted((where.get((node, lrm_id), len(where)), rid, node)
                   for rid, per_node in names.items() for node, lrm_id in per_node.items())
    return [(rid, node) for _i, rid, node in pairs]


def stale_histories(entries: list[Entry], resources: Mapping[str, Resource],
                    nodes: Mapping[str, Node]) -> dict[str, tuple[str, ...]]:
    """History ids of resources no longer configured that are not active, each with the
    online nodes holding such a history: the scheduler deletes those (an orphan that
    is still active is stopped first, as a resource of its own)."""
    known = {r.base or r.id for r in resources.values()} | set(resources)
    out: dict[str, list[str]] = {}
    for node, lrm_id, hist in entries:
        if lrm_id in known or lrm_id.split(":")[0] in known:
            continue
        if hist.role not in (Role.UNKNOWN, Role.STOPPED) or node not in nodes \
                or not nodes[node].online or nodes[node].unclean:
            continue
        out.setdefault(lrm_id, []).append(node)
    return {rid: tuple(where) for rid, where in out.items()}




def read_histories(root: Element, nodes: dict[str, Node], resources: Mapping[str, Resource],
                   stonith: bool, locks: dict[str, tuple[str, int]]
                   ) -> tuple[list[Entry], list[str]]:
    """Every node's resource histories, and the offline nodes they show still running
    something (to be fenced). Marks those nodes unclean in `nodes`."""
    entries: list[Entry] = []
    thought_active: list[str] = []
    status = root.find("status")
    for ns in (status.findall("node_state") if status is not None else []):
        node = node_by_state(ns, nodes)
        if node is None:
            continue
        record_locks(ns, node, resources, locks)
        offline = not (nodes[node].online or nodes[node].unclean or nodes[node].maintenance)
        if offline and not stonith:
            continue  # without fencing, a node that is down runs nothing
        found = [(node, str(lrm_rsc.get("id")), history_of(lrm_rsc, resources, stonith))
                 for lrm_rsc in ns.iterfind("lrm/lrm_resources/lrm_resource")]
        if offline:
            # A node that left cleanly runs nothing, unless its history says a managed
            # resource is still active there: then it must be fenced to be sure.
            if not any(e[2].role not in (Role.UNKNOWN, Role.STOPPED)
                       and is_managed_guess(resources, e[1]) for e in found):
                continue
            nodes[node] = replace(nodes[node], unclean=True)
            thought_active.append(node)
        entries.extend(found)
    return entries, thought_active


def history_of(lrm_rsc: Element, resources: Mapping[str, Resource],
               stonith: bool) -> NodeHistory:
    lrm_id = str(lrm_rsc.get("id"))
    guess = resources.get(lrm_id) or resources.get(lrm_id.split(":")[0] + ":0")
    hist = replay_ops(lrm_rsc.findall("lrm_rsc_op"), guess, stonith)
    if guess is not None and guess.agent and lrm_rsc.get("type") and (
            lrm_rsc.get("provider") or guess.agent.count(":") == 1) \
            and agent_of_history(lrm_rsc) != guess.agent:
        hist = replace(hist, agent_changed=True)
    return hist


def is_managed_guess(resources: Mapping[str, Resource], lrm_id: str) -> bool:
    rsc = resources.get(lrm_id) or resources.get(lrm_id.split(":")[0] + ":0")
    while rsc is not None:
        if parse_boolean(rsc.meta.get("is-managed", "true")) is False:
            return False
        rsc = resources.get(rsc.parent) if rsc.parent else None
    return True


def record_locks(ns: Element, node: str, resources: Mapping[str, Resource],
                 locks: dict[str, tuple[str, int]]) -> None:
    """shutdown-lock: resources recorded as locked to a node that shut down cleanly."""
    for lrm_rsc in ns.iterfind("lrm/lrm_resources/lrm_resource"):
        when = lrm_rsc.get("shutdown-lock")
        rid = lrm_rsc.get("id")
        if when and when.isdigit() and rid in resources:
            locks[rid] = (node, int(when))


# Per run: (node name, anonymous) -> resource name -> its failure attributes, each as
# (position among the node's attributes, is a fail-count (else last-failure), value).
FailureIndex = dict[tuple[str, bool], dict[str, list[tuple[int, bool, int]]]]
FAILURE_PREFIXES = (("fail-count-", True), ("last-failure-", False))


def failure_attrs(node: Node, anonymous: bool) -> dict[str, list[tuple[int, bool, int]]]:
    """The fail-count-<rsc>[#op] and last-failure-<rsc>[#op] attributes of `node` grouped
    by <rsc> (instance suffixes stripped when `anonymous`): one pass over the attributes
    instead of one per primitive."""
    found: dict[str, list[tuple[int, bool, int]]] = {}
    for pos, (key, value) in enumerate(node.attrs.items()):
        if anonymous:
            # Anonymous instances share one count, whatever instance suffix it was written with.
            key = re_instance.sub("", key)
        for prefix, is_count in FAILURE_PREFIXES:
            if key.startswith(prefix):
                name = key[len(prefix):].split("#", 1)[0]
                # last-failure is a timestamp, not a score: never clamp it to INFINITY.
                number = parse_score(value) if is_count else \
                    (int(value) if value.strip().isdigit() else None)
                found.setdefault(name, []).append((pos, is_count, number or 0))
    return found


def fail_count(rsc: Resource, node: Node, resources: Mapping[str, Resource],
               failure_timeout_s: int, now_s: int, index: FailureIndex | None = None) -> int:
    clone = clone_of(rsc, resources)
    anonymous = clone is not None and not clone.unique
    names = {rsc.id, rsc.base} if anonymous else {rsc.id}
    key = (node.name, anonymous)
    if index is None or key not in index:
        attrs = failure_attrs(node, anonymous)
        if index is not None:
            index[key] = attrs
    else:
        attrs = index[key]
    total, last = 0, 0
    for _pos, is_count, value in sorted(e for name in names for e in attrs.get(name, ())):
        if is_count:
            total = min(INFINITY, total + value)
        else:
            last = max(last, value)
    if total and failure_timeout_s > 0 and last and now_s >= last + failure_timeout_s:
        return 0
    return total


def build_state(rid: str, resources: Mapping[str, Resource], nodes: Mapping[str, Node],
                hist: Mapping[str, NodeHistory], props: Mapping[str, str],
                now_s: int, failures: FailureIndex | None = None,
                seen_as: Mapping[str, str] | None = None) -> PrimitiveState:
    """What the histories of primitive `rid` say (`seen_as`: node -> the lrm id its
    active history there was read as)."""
    rsc = resources[rid]
    timeout_s = meta_of(rid, resources, "failure-timeout", props, "0")
    threshold = meta_of(rid, resources, "migration-threshold", props, str(INFINITY))
    counts: dict[str, int] = {}
    banned: set[str] = set()
    clone = clone_of(rsc, resources)
    anonymous = clone is not None and not clone.unique
    for name, node in nodes.items():
        if failures is not None and (node.name, anonymous) in failures:
            attrs = failures[(node.name, anonymous)]
            if rsc.id not in attrs and not (anonymous and rsc.base in attrs):
                continue  # no failure attribute names it on this node
        count = fail_count(rsc, node, resources, timeout_s // 1000, now_s, failures)
        if count:
            counts[name] = count
            if threshold > 0 and count >= threshold:
                banned.add(name)
    if not hist and not counts:
        return EMPTY_STATE
    if any(h.fatal for h in hist.values()):
        banned |= set(nodes)
    return state_of(rsc, hist, counts, banned, seen_as or {})


def state_of(rsc: Resource, hist: Mapping[str, NodeHistory], counts: dict[str, int],
             banned: set[str], seen_as: Mapping[str, str]) -> PrimitiveState:
    """The PrimitiveState of `rsc`'s histories (one pass over them)."""
    roles: dict[str, Role] = {}
    on_fail: dict[str, str] = {}
    recurring: dict[str, tuple[RecurringOp, ...]] = {}
    failed: set[str] = set()
    pending: set[str] = set()
    stop_failed: set[str] = set()
    agent_changed: set[str] = set()
    changed: set[str] = set()
    redefined: set[str] = set()
    unstarted: set[str] = set()
    masked: set[str] = set()
    unrecoverable: set[str] = set()
    blocked = promote_failed = False
    for n, h in hist.items():
        active = h.role not in (Role.UNKNOWN, Role.STOPPED)
        if active:
            roles[n] = h.role
            redone = not h.agent_changed and is_redefined(h, rsc)
            if h.agent_changed or redone:
                changed.add(n)
            if redone:
                redefined.add(n)
                if only_masked_changed(h, rsc):
                    masked.add(n)
            if h.active_unstarted:
                unstarted.add(n)
        if h.banned:
            banned.add(n)
        if h.failed:
            on_fail[n] = h.on_fail
            if active and h.on_fail != "demote":
                failed.add(n)
            blocked = blocked or active and h.on_fail == "block"
        for flag, where in ((h.pending_start, pending), (h.stop_failed, stop_failed),
                            (h.agent_changed, agent_changed),
                            (h.stop_unrecoverable, unrecoverable)):
            if flag:
                where.add(n)
        promote_failed = promote_failed or h.promote_failed
        if h.recurring:
            recurring[n] = h.recurring
    return PrimitiveState(
        roles=roles, failed_nodes=frozenset(failed), on_fail=on_fail, fail_counts=counts,
        banned_nodes=frozenset(banned), pending_start=frozenset(pending),
        probed_nodes=frozenset(hist), stop_failed_nodes=frozenset(stop_failed),
        blocked=blocked, agent_changed_nodes=frozenset(agent_changed),
        changed_nodes=frozenset(changed), redefined_nodes=frozenset(redefined),
        masked_nodes=frozenset(masked), promote_failed=promote_failed,
        unstarted_nodes=frozenset(unstarted), recurring=recurring, history_names=seen_as,
        unrecoverable_nodes=frozenset(unrecoverable))


def is_redefined(hist: NodeHistory, rsc: Resource) -> bool:
    """The last start's op-digest no longer matches the parameters (a missing digest
    counts as a change, as Pacemaker treats it)."""
    if hist.start_digest is None or not rsc.digestible:
        return False
    return hist.start_digest not in params_digests(rsc.params)


def only_masked_changed(hist: NodeHistory, rsc: Resource) -> bool:
    """The recorded secure digest (parameters without the masked ones the history lists)
    still matches: only masked parameters differ. Pacemaker's crm_simulate then sees no
    change (it simulates on CIBs whose secrets were masked); a live cluster does. A
    history older than feature set 3.16.0 left fencing devices' pcmk_* parameters out."""
    if hist.start_secure is None:
        return False
    recorded, masked, version = hist.start_secure
    hidden = set(masked.split())
    old = _version(version) < (3, 16, 0)
    fence = old and rsc.agent.startswith("stonith:")
    kept = {k: v for k, v in rsc.params.items()
            if k not in hidden and not (fence and is_fence_param(k))}
    return recorded in params_digests(kept)


def _version(text: str) -> tuple[int, ...]:
    parts = [p for p in text.split(".") if p.isdigit()]
    return tuple(int(p) for p in parts) if parts else (0,)


FENCE_PARAMS = frozenset({"provides", "stonith-timeout", "pcmk_action_limit",
                          "pcmk_delay_base", "pcmk_delay_max", "pcmk_host_argument",
                          "pcmk_host_check", "pcmk_host_list", "pcmk_host_map"})


def is_fence_param(name: str) -> bool:
    """A parameter Pacemaker itself reads from a fencing device's configuration."""
    if name in FENCE_PARAMS:
        return True
    if not name.startswith("pcmk_") or "_" not in name[5:]:
        return False
    return name[5:][name[5:].index("_"):] in ("_action", "_timeout", "_retries")


def agent_of_history(lrm_rsc: Element) -> str:
    cls, prov, typ = lrm_rsc.get("class", ""), lrm_rsc.get("provider"), lrm_rsc.get("type", "")
    return f"{cls}:{prov}:{typ}" if prov else f"{cls}:{typ}"


def op_digest(params: Mapping[str, str]) -> str:
    """The op-digest Pacemaker records for an operation on a resource with `params`."""
    return params_digests(params)[0]


def xml_escape(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def params_digests(params: Mapping[str, str]) -> tuple[str, str]:
    """op-digests a resource's parameters may have been recorded with (the corpus README's
    recipe), with and without meta attributes that old CIBs wrote as parameters."""
    return sorted_digests(tuple(sorted(params.items())))


@lru_cache(maxsize=4096)
def sorted_digests(every: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """params_digests of parameters already sorted (many resources share them, and each
    active one is checked per node: computed once)."""
    def digest(items: Iterable[tuple[str, str]]) -> str:
        # Values as Pacemaker serializes them: XML-escaped inside double quotes.
        text = " <parameters" + "".join(f' {k}="{xml_escape(v)}"' for k, v in items) + "/>\n"
        return hashlib.md5(text.encode()).hexdigest()

    return digest(every), digest([(k, v) for k, v in every
                                  if k.replace("_", "-") not in META_NAMES])


def meta_of(rid: str, resources: Mapping[str, Resource], name: str,
            props: Mapping[str, str], default: str) -> int:
    rsc: Resource | None = resources[rid]
    while rsc is not None:
        if name in rsc.meta:
            return interval_value(name, rsc.meta[name])
        rsc = resources.get(rsc.parent) if rsc.parent else None
    return interval_value(name, props.get(name, default))


def apply_node_effects(rid: str, node: str, hist: NodeHistory, nodes: dict[str, Node],
                       fence: dict[str, str], stonith: bool) -> None:
    """on-fail=fence/standby and failed stops change the node itself."""
    if not hist.failed:
        return
    if hist.on_fail == "fence" and stonith:
        nodes[node] = replace(nodes[node], unclean=True)
        fence.setdefault(node, f"{rid} failed there")
    elif hist.on_fail == "standby":
        nodes[node] = replace(nodes[node], standby=True)

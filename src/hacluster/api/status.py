"""Cluster status as a frozen view: what crm_mon and crm_simulate print, before rendering.

Owns turning the scheduler's unpacked ClusterModel (nodes, resources, current roles) plus
the few status details the model does not keep (failed operations, fail counts, the CIB's
change stamp) into `StatusView`. Rendering to text is cli/render.py's job.
Must never do I/O, read the clock or format times: timestamps stay int seconds.
Spec: Pacemaker Explained, "Cluster Status"; crm_mon(8) of Pacemaker 2.1.5.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hacluster.api.env import CIBEnvironment
from hacluster.api.ophistory import (
    Ban,
    FailCount,
    FailedAction,
    OpRecord,
    ResourceHistory,
    bans,
    fail_counts,
    failed_actions,
    node_history,
    owner_index,
)
from hacluster.cib import parse_cib
from hacluster.common import INFINITY, duration_ms, is_true
from hacluster.scheduler import ClusterModel, Role, is_managed, unpack

__all__ = [
    "Ban", "CloneStatus", "ClusterSummary", "FailCount", "FailedAction", "GroupStatus",
    "NodeStatus", "OpRecord", "PrimitiveStatus", "ResourceHistory", "ResourceStatus",
    "StatusView", "iter_primitives", "sorted_node_names", "status_from_text",
    "status_of", "status_of_root", "status_view",
]

Element = Any


@dataclass(frozen=True, slots=True)
class NodeStatus:
    name: str
    online: bool
    standby: bool
    maintenance: bool
    unclean: bool
    pending: bool
    active_resources: int
    id: str = ""
    feature_set: str = ""  # the node's #feature-set attribute, "" when offline
    is_dc: bool = False
    expected_up: bool = False
    shutdown: bool = False
    attributes: tuple[tuple[str, str], ...] = ()  # user attributes, sorted by name
    health: str = "green"  # the worst #health-* attribute: green, yellow or red


@dataclass(frozen=True, slots=True)
class PrimitiveStatus:
    id: str  # as displayed: instance id for unique clones, base id otherwise
    agent: str  # class:provider:type
    role: str  # Started | Stopped | Promoted | Unpromoted
    nodes: tuple[str, ...]  # where it is active
    failed: bool
    orphan: bool
    managed: bool
    blocked: bool
    disabled: bool
    unclean: bool  # the (single) node it is active on is unclean
    failure_ignored: bool = False
    key: str = ""  # the model's id ("child:2" for a clone instance); actions name it
    pending: str = ""  # "Monitoring" while a recurring monitor is recorded as pending


@dataclass(frozen=True, slots=True)
class GroupStatus:
    id: str
    members: tuple[PrimitiveStatus, ...]
    disabled: bool
    managed: bool


@dataclass(frozen=True, slots=True)
class CloneStatus:
    id: str
    child: str  # the configured child id, shown as "[child]"
    promotable: bool
    unique: bool
    disabled: bool
    managed: bool
    instances: tuple[PrimitiveStatus | GroupStatus, ...]
    nodes: tuple[str, ...]  # every node, in display order, for the "Stopped: [ ]" list
    clone_max: int  # configured instances; "Stopped: [ ]" only when fewer are active


ResourceStatus = PrimitiveStatus | GroupStatus | CloneStatus


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    stack: str
    dc: str | None
    dc_version: str | None
    have_quorum: bool
    last_written: str  # the CIB's cib-last-written text, "" when absent
    update_client: str
    update_origin: str
    update_user: str
    nodes_configured: int
    instances_configured: int
    disabled: int
    blocked: int
    dc_id: str = ""
    options: tuple[tuple[str, str], ...] = ()  # crm_mon's <cluster_options>, in its order


@dataclass(frozen=True, slots=True)
class StatusView:
    summary: ClusterSummary
    nodes: tuple[NodeStatus, ...]
    resources: tuple[ResourceStatus, ...]
    failed_actions: tuple[FailedAction, ...]
    fail_counts: tuple[FailCount, ...]
    history: tuple[ResourceHistory, ...] = ()
    bans: tuple[Ban, ...] = ()


def shown_managed(model: ClusterModel, rid: str) -> bool:
    """Whether crm_mon calls a resource managed: start-up being disabled for want of a
    fence device does not make it "unmanaged" there."""
    if is_managed(model, rid):
        return True
    return model.startup_disabled() and is_managed(replace(model, stonith_enabled=False), rid)


def status_of(env: CIBEnvironment, now_s: int) -> StatusView:
    """The status view of the CIB `env` reads (a CIB_file or the live cluster)."""
    root = env.read().root
    return status_view(unpack(root, now_s), root)


def status_of_root(cib_root: Element, now_s: int, history: bool = True) -> StatusView:
    """The status view of an already parsed CIB root element (no second parse);
    `history=False` skips what only crm_mon shows (operation history, fail counts, bans)."""
    return status_view(unpack(cib_root, now_s), cib_root, history)


def status_from_text(cib_text: str | bytes, now_s: int) -> StatusView:
    """Parse a CIB and build its status view at wall-clock time `now_s`."""
    root = parse_cib(cib_text).root
    return status_view(unpack(root, now_s), root)


def status_view(model: ClusterModel, root: Element | None = None,
                history: bool = True) -> StatusView:
    """The view of `model`; `root` (the CIB element) adds failures, the change stamp and,
    with `history`, the operation history, fail counts and bans crm_mon reports.
    For crm_simulate's "Revised Cluster Status", apply the transition with revised_view()."""
    known = known_on(model, root) if root is not None else None
    resources = tuple(resource_status(model, rid, known) for rid in by_priority(model))
    states = node_states(root) if root is not None else None
    dc_id = root.get("dc-uuid", "") if root is not None else ""
    nodes = tuple(node_status(model, name, states, dc_id)
                  for name in sorted_node_names(model.nodes))
    prims = list(iter_primitives(resources))
    summary = cluster_summary(model, root, prims)
    if root is None:
        return StatusView(summary, nodes, resources, (), ())
    failed = tuple(failed_actions(root))
    ignored = ignored_failures(model, failed)
    monitoring = pending_monitors(root)
    resources = tuple(mark_pending(mark_ignored(r, ignored), monitoring) for r in resources)
    if not history:
        return StatusView(summary, nodes, resources, failed, ())
    return StatusView(summary, nodes, resources, failed,
                      tuple(fail_counts(model, root)), tuple(node_history(model, root)),
                      tuple(bans(model, root)))


def ignored_failures(model: ClusterModel,
                     failed: Iterable[FailedAction]) -> frozenset[tuple[str, str]]:
    """(resource base id, node) of failures whose operation is configured on-fail=ignore."""
    found: set[tuple[str, str]] = set()
    owners = owner_index(model)
    for a in failed:
        base = a.rsc.split(":", 1)[0]
        owner = owners.get(a.rsc, owners.get(base))
        rsc = model.resources[owner] if owner is not None else None
        if rsc is not None and any(op.name == a.task and op.interval_ms == a.interval_ms
                                   and op.on_fail == "ignore" for op in rsc.ops):
            found.add((base, a.node))
    return frozenset(found)


def pending_monitors(root: Element) -> frozenset[tuple[str, str]]:
    """(lrm resource id, node) whose recurring monitor is recorded as pending (op-status -1)."""
    found: set[tuple[str, str]] = set()
    for ns in root.iterfind("status/node_state"):
        node = ns.get("uname") or ns.get("id") or ""
        for entry in ns.iterfind("lrm/lrm_resources/lrm_resource"):
            for op in entry.iterfind("lrm_rsc_op"):
                if (op.get("op-status") == "-1" and op.get("operation") == "monitor"
                        and op.get("interval", "0") not in ("0", "")):
                    found.add((entry.get("id") or "", node))
    return frozenset(found)


def mark_pending(r: ResourceStatus, monitoring: frozenset[tuple[str, str]]) -> ResourceStatus:
    if not monitoring:
        return r
    if isinstance(r, PrimitiveStatus):
        hit = len(r.nodes) == 1 and ((r.key or r.id), r.nodes[0]) in monitoring
        return replace(r, pending="Monitoring") if hit else r
    if isinstance(r, GroupStatus):
        return replace(r, members=tuple(mark_pending(m, monitoring)  # type: ignore[misc]
                                        for m in r.members))
    return replace(r, instances=tuple(mark_pending(i, monitoring)  # type: ignore[misc]
                                      for i in r.instances))


def mark_ignored(r: ResourceStatus, ignored: frozenset[tuple[str, str]]) -> ResourceStatus:
    """Show "(failure ignored)" where an ignored failure happened on an active node."""
    if not ignored:
        return r
    if isinstance(r, PrimitiveStatus):
        base = (r.key or r.id).split(":", 1)[0]
        if any((base, n) in ignored for n in r.nodes):
            return replace(r, failed=False, failure_ignored=True)
        return r
    if isinstance(r, GroupStatus):
        return replace(r, members=tuple(mark_ignored(m, ignored)  # type: ignore[misc]
                                        for m in r.members))
    return replace(r, instances=tuple(mark_ignored(i, ignored)  # type: ignore[misc]
                                      for i in r.instances))


def by_priority(model: ClusterModel) -> list[str]:
    """Top-level resources as Pacemaker lists them: by `priority` meta, highest first,
    configuration order among equals (a stable sort)."""
    def priority(rid: str) -> int:
        text = model.meta(rid, "priority", "0").strip()
        if "INFINITY" in text:
            return -INFINITY if text.startswith("-") else INFINITY
        digits = re.match(r"[-+]?\d+", text)  # like strtol: "2.0" is 2
        return int(digits.group()) if digits else 0
    return sorted(model.top, key=lambda rid: -priority(rid))


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Pacemaker sorts node names with digit runs compared as numbers ("node2" < "node10")."""
    key: list[tuple[int, int | str]] = []
    digits = ""
    for ch in name.lower() + "\0":
        if ch.isdigit():
            digits += ch
            continue
        if digits:
            key.append((0, int(digits)))
            digits = ""
        if ch != "\0":
            key.append((1, ch))
    return tuple(key)


def sorted_node_names(nodes: Iterable[str]) -> list[str]:
    return sorted(nodes, key=natural_key)


def node_states(root: Element) -> dict[str, Element]:
    """node_state entries by uname and by id; nodes without one were never seen."""
    found: dict[str, Element] = {}
    for ns in root.iterfind("status/node_state"):
        for key in (ns.get("id"), ns.get("uname")):
            if key:
                found.setdefault(key, ns)
    return found


HIDDEN_ATTRIBUTE_PREFIXES = ("#", "fail-count-", "last-failure-")
HIDDEN_ATTRIBUTES = frozenset({"standby", "maintenance", "probe_complete", "shutdown",
                               "terminate"})


def node_status(model: ClusterModel, name: str, states: Mapping[str, Element] | None,
                dc_id: str) -> NodeStatus:
    node = model.nodes[name]
    ns = None if states is None else states.get(node.id, states.get(name))
    seen = states is None or ns is not None
    active = sum(1 for st in model.states.values() if name in st.roles)
    unclean = node.unclean or name in model.fence_nodes
    attributes = tuple(sorted((k, v) for k, v in node.attrs.items()
                              if not k.startswith(HIDDEN_ATTRIBUTE_PREFIXES)
                              and k not in HIDDEN_ATTRIBUTES))
    return NodeStatus(name, node.online, node.standby and seen, node.maintenance and seen, unclean,
                      node.pending, active, id=node.id,
                      feature_set=node.attrs.get("#feature-set", "") if node.online else "",
                      is_dc=bool(dc_id) and node.id == dc_id,
                      expected_up=ns is not None and ns.get("expected") == "member",
                      shutdown=node.shutdown, attributes=attributes,
                      health=node_health(node.attrs)
                      if model.prop("node-health-strategy", "none") != "none" else "green")


def node_health(attrs: Mapping[str, str]) -> str:
    """Pacemaker's node health colour from the #health-* attributes (red wins)."""
    colours = {v.strip().lower() for k, v in attrs.items() if k.startswith("#health")}
    return next((c for c in ("red", "yellow") if c in colours), "green")


def is_disabled(model: ClusterModel, rid: str) -> bool:
    return model.meta(rid, "target-role", "Started").lower() == "stopped"


Known = Mapping[str, frozenset[str]] | None  # resource id -> nodes with history of it


def known_on(model: ClusterModel, root: Element) -> dict[str, frozenset[str]]:
    """Per lrm_resource id (instance suffix dropped): the nodes that have a record of it."""
    by_id = {node.id: name for name, node in model.nodes.items()}
    found: dict[str, set[str]] = {}
    for ns in root.iterfind("status/node_state"):
        name = by_id.get(ns.get("id") or "") or ns.get("uname") or ""
        for entry in ns.iterfind("lrm/lrm_resources/lrm_resource"):
            found.setdefault((entry.get("id") or "").split(":", 1)[0], set()).add(name)
    return {rsc: frozenset(nodes) for rsc, nodes in found.items()}


def resource_status(model: ClusterModel, rid: str, known: Known = None) -> ResourceStatus:
    rsc = model.resources[rid]
    if rsc.kind == "group":
        members = tuple(primitive_status(model, child, False) for child in rsc.children)
        return GroupStatus(rid, members, is_disabled(model, rid), shown_managed(model, rid))
    if rsc.kind == "clone":
        return clone_status(model, rid, known)
    return primitive_status(model, rid, False)


def clone_status(model: ClusterModel, rid: str, known: Known = None) -> CloneStatus:
    rsc = model.resources[rid]
    instances: list[PrimitiveStatus | GroupStatus] = []
    for child in rsc.children:
        inst = model.resources[child]
        if inst.kind == "group":
            # a group instance keeps its ":N" in the header, even in an anonymous clone
            members = tuple(primitive_status(model, m, rsc.promotable, rsc.unique)
                            for m in inst.children)
            instances.append(GroupStatus(child, members, is_disabled(model, child),
                                         shown_managed(model, child)))
        else:
            instances.append(primitive_status(model, child, rsc.promotable, rsc.unique))
    child_id = rsc.base or (model.resources[rsc.children[0]].base if rsc.children else "")
    return CloneStatus(rid, child_id, rsc.promotable, rsc.unique, is_disabled(model, rid),
                       shown_managed(model, rid), tuple(instances),
                       stopped_list_nodes(model, rid, known),
                       rsc.clone_max or sum(1 for c in rsc.children
                                            if not model.resources[c].orphan))


def stopped_list_nodes(model: ClusterModel, rid: str, known: Known) -> tuple[str, ...]:
    """Nodes a clone may list as "Stopped": every node in a symmetric cluster; in an
    asymmetric one (no allowed nodes before constraints apply) the nodes that have a
    record of one of its primitives, as Pacemaker falls back to where it is known."""
    names = sorted_node_names(model.nodes)
    if is_true(model.prop("symmetric-cluster", "true")):
        return tuple(names)
    if known is None:
        return ()
    bases = {(model.resources[p].base or p).split(":", 1)[0] for p in model.primitives(rid)}
    seen = frozenset().union(*(known.get(b, frozenset()) for b in bases))
    return tuple(n for n in names if n in seen)


def primitive_status(model: ClusterModel, rid: str, promotable: bool,
                     unique: bool = True) -> PrimitiveStatus:
    rsc = model.resources[rid]
    state = model.states.get(rid)
    roles: Mapping[str, Role] = state.roles if state is not None else {}
    nodes = tuple(roles)
    role = max(roles.values(), default=Role.STOPPED)
    if promotable and role == Role.STARTED:
        role = Role.UNPROMOTED  # a running instance of a promotable clone is Unpromoted
    failed = state is not None and bool(set(nodes) & set(state.failed_nodes))
    blocked = state is not None and state.blocked
    # Pacemaker flags a resource "(UNCLEAN)" only on a node that is unclean *and* offline.
    unclean = len(nodes) == 1 and not model.nodes[nodes[0]].online and (
        model.nodes[nodes[0]].unclean or nodes[0] in model.fence_nodes)
    if len(nodes) == 1 and state is not None and nodes[0] in state.pending_start:
        role = Role.STARTED  # shown as "Starting" below
        return PrimitiveStatus(rid if unique or not rsc.base else rsc.base, rsc.agent,
                               "Starting", nodes, False, rsc.orphan, shown_managed(model, rid),
                               blocked, is_disabled(model, rid), unclean, key=rid)
    ignored = failed and state is not None and all(
        state.on_fail.get(n) == "ignore" for n in set(nodes) & set(state.failed_nodes))
    shown = rid if unique or not rsc.base else rsc.base
    # a resource active on a node in maintenance is left alone there: shown unmanaged
    managed = shown_managed(model, rid) and not any(model.nodes[n].maintenance for n in nodes)
    return PrimitiveStatus(shown, rsc.agent, role.text, nodes, failed and not ignored,
                           rsc.orphan, managed, blocked, is_disabled(model, rid),
                           unclean, ignored, key=rid)


def iter_primitives(resources: Iterable[ResourceStatus]) -> Iterable[PrimitiveStatus]:
    for r in resources:
        if isinstance(r, PrimitiveStatus):
            yield r
        elif isinstance(r, GroupStatus):
            yield from r.members
        else:
            yield from iter_primitives(r.instances)


def cluster_summary(model: ClusterModel, root: Element | None,
                    prims: list[PrimitiveStatus]) -> ClusterSummary:
    attrs: Mapping[str, str] = dict(root.attrib) if root is not None else {}
    dc_id = attrs.get("dc-uuid")
    dc = next((n.name for n in model.nodes.values() if n.id == dc_id), None)
    return ClusterSummary(
        stack=model.prop("cluster-infrastructure", "unknown"),
        dc=dc,
        dc_version=model.properties.get("dc-version"),
        have_quorum=model.have_quorum,
        last_written=attrs.get("cib-last-written", ""),
        update_client=attrs.get("update-client", ""),
        update_origin=attrs.get("update-origin", ""),
        update_user=attrs.get("update-user", ""),
        nodes_configured=len(model.nodes),
        instances_configured=sum(1 for p in prims if not p.orphan),
        disabled=sum(1 for p in prims if p.disabled and not p.orphan),
        blocked=sum(1 for p in prims if p.blocked),
        dc_id=(dc_id or "") if dc is not None else "",
        options=cluster_options(model),
    )


def cluster_options(model: ClusterModel) -> tuple[tuple[str, str], ...]:
    """The options crm_mon's XML summary reports, with Pacemaker's defaults."""
    def flag(name: str, default: str) -> str:
        return "true" if is_true(model.prop(name, default)) else "false"
    return (("stonith-enabled", flag("stonith-enabled", "true")),
            ("symmetric-cluster", flag("symmetric-cluster", "true")),
            ("no-quorum-policy", model.prop("no-quorum-policy", "stop")),
            ("maintenance-mode", flag("maintenance-mode", "false")),
            ("stop-all-resources", flag("stop-all-resources", "false")),
            ("stonith-timeout-ms", str(duration_ms(model.prop("stonith-timeout", "60s")))),
            ("priority-fencing-delay-ms",
             str(duration_ms(model.prop("priority-fencing-delay", "0")))))

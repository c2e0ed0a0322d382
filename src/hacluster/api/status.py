"""Cluster status as a frozen view: what crm_mon and crm_simulate print, before rendering.

Owns turning the scheduler's unpacked ClusterModel (nodes, resources, current roles) plus
the few status details the model does not keep (failed operations, fail counts, the CIB's
change stamp) into `StatusView`. Rendering to text is cli/render.py's job.
Must never do I/O, read the clock or format times: timestamps stay int seconds.
Spec: Pacemaker Explained, "Cluster Status"; crm_mon(8) of Pacemaker 2.1.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hacluster.api.env import CIBEnvironment
from hacluster.cib import parse_cib
from hacluster.scheduler import ClusterModel, Role, unpack

Element = Any
INFINITY = 1000000


@dataclass(frozen=True, slots=True)
class NodeStatus:
    name: str
    online: bool
    standby: bool
    maintenance: bool
    unclean: bool
    pending: bool
    active_resources: int


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


@dataclass(frozen=True, slots=True)
class FailedAction:
    rsc: str
    task: str
    interval_ms: int
    node: str
    rc: int
    op_status: int
    exit_reason: str
    last_rc_change_s: int | None
    exec_ms: int | None


@dataclass(frozen=True, slots=True)
class FailCount:
    node: str
    rsc: str
    migration_threshold: int
    fail_count: int
    last_failure_s: int | None


@dataclass(frozen=True, slots=True)
class StatusView:
    summary: ClusterSummary
    nodes: tuple[NodeStatus, ...]
    resources: tuple[ResourceStatus, ...]
    failed_actions: tuple[FailedAction, ...]
    fail_counts: tuple[FailCount, ...]


def status_of(env: CIBEnvironment, now_s: int) -> StatusView:
    """The status view of the CIB `env` reads (a CIB_file or the live cluster)."""
    root = env.read().root
    return status_view(unpack(root, now_s), root)


def status_of_root(cib_root: Element, now_s: int) -> StatusView:
    """The status view of an already parsed CIB root element (no second parse)."""
    return status_view(unpack(cib_root, now_s), cib_root)


def status_from_text(cib_text: str | bytes, now_s: int) -> StatusView:
    """Parse a CIB and build its status view at wall-clock time `now_s`."""
    root = parse_cib(cib_text).root
    return status_view(unpack(root, now_s), root)


def status_view(model: ClusterModel, root: Element | None = None) -> StatusView:
    """The view of `model`; `root` (the CIB element) adds failures and the change stamp.
    For crm_simulate's "Revised Cluster Status", pass the post-transition model alone."""
    resources = tuple(resource_status(model, rid) for rid in by_priority(model))
    seen = seen_nodes(root) if root is not None else frozenset(model.nodes)
    nodes = tuple(node_status(model, name, name in seen or model.nodes[name].id in seen)
                  for name in sorted_node_names(model.nodes))
    prims = list(iter_primitives(resources))
    summary = cluster_summary(model, root, prims)
    failed = tuple(failed_actions(root)) if root is not None else ()
    counts = tuple(fail_counts(model, root)) if root is not None else ()
    return StatusView(summary, nodes, resources, failed, counts)


def by_priority(model: ClusterModel) -> list[str]:
    """Top-level resources as Pacemaker lists them: by `priority` meta, highest first,
    configuration order among equals (a stable sort)."""
    def priority(rid: str) -> int:
        text = model.meta(rid, "priority", "0")
        return parse_threshold(text) if text.lstrip("-").isdigit() or "INF" in text else 0
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


def seen_nodes(root: Element) -> frozenset[str]:
    """Nodes with a node_state entry; the others were never seen and show plain OFFLINE."""
    found: set[str] = set()
    for ns in root.iterfind("status/node_state"):
        found.update(x for x in (ns.get("uname"), ns.get("id")) if x)
    return frozenset(found)


def node_status(model: ClusterModel, name: str, seen: bool) -> NodeStatus:
    node = model.nodes[name]
    active = sum(1 for st in model.states.values() if name in st.roles)
    unclean = node.unclean or name in model.fence_nodes
    return NodeStatus(name, node.online, node.standby and seen, node.maintenance, unclean,
                      node.pending, active)


def is_true(text: str) -> bool:
    return text.strip().lower() in ("true", "yes", "on", "1", "y")


def is_disabled(model: ClusterModel, rid: str) -> bool:
    return model.meta(rid, "target-role", "Started").lower() == "stopped"


def is_managed(model: ClusterModel, rid: str) -> bool:
    if is_true(model.meta(rid, "maintenance", "false")):
        return False
    if is_true(model.prop("maintenance-mode", "false")):
        return False
    return is_true(model.meta(rid, "is-managed", "true"))


def resource_status(model: ClusterModel, rid: str) -> ResourceStatus:
    rsc = model.resources[rid]
    if rsc.kind == "group":
        members = tuple(primitive_status(model, child, False) for child in rsc.children)
        return GroupStatus(rid, members, is_disabled(model, rid), is_managed(model, rid))
    if rsc.kind == "clone":
        return clone_status(model, rid)
    return primitive_status(model, rid, False)


def clone_status(model: ClusterModel, rid: str) -> CloneStatus:
    rsc = model.resources[rid]
    instances: list[PrimitiveStatus | GroupStatus] = []
    for child in rsc.children:
        inst = model.resources[child]
        if inst.kind == "group":
            shown = child if rsc.unique else child  # groups keep ":N" in their header
            members = tuple(primitive_status(model, m, rsc.promotable, rsc.unique)
                            for m in inst.children)
            instances.append(GroupStatus(shown, members, is_disabled(model, child),
                                         is_managed(model, child)))
        else:
            instances.append(primitive_status(model, child, rsc.promotable, rsc.unique))
    child_id = rsc.base or (model.resources[rsc.children[0]].base if rsc.children else "")
    return CloneStatus(rid, child_id, rsc.promotable, rsc.unique, is_disabled(model, rid),
                       is_managed(model, rid), tuple(instances), stopped_list_nodes(model),
                       rsc.clone_max or sum(1 for c in rsc.children
                                            if not model.resources[c].orphan))


def stopped_list_nodes(model: ClusterModel) -> tuple[str, ...]:
    """Nodes a clone may list as "Stopped": every node in a symmetric cluster; none in an
    asymmetric one, whose allowed nodes come only from constraints not yet applied."""
    if not is_true(model.prop("symmetric-cluster", "true")):
        return ()
    return tuple(sorted_node_names(model.nodes))


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
                               "Starting", nodes, False, rsc.orphan, is_managed(model, rid),
                               blocked, is_disabled(model, rid), unclean, key=rid)
    ignored = failed and state is not None and all(
        state.on_fail.get(n) == "ignore" for n in set(nodes) & set(state.failed_nodes))
    shown = rid if unique or not rsc.base else rsc.base
    return PrimitiveStatus(shown, rsc.agent, role.text, nodes, failed and not ignored,
                           rsc.orphan, is_managed(model, rid), blocked, is_disabled(model, rid),
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
    )


def int_attr(el: Element, name: str) -> int | None:
    text = el.get(name)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def failed_actions(root: Element) -> Iterable[FailedAction]:
    """Operations whose result differs from what was expected, as crm_mon lists them."""
    seen: set[tuple[str, str]] = set()
    for ns in root.iterfind("status/node_state"):
        node = ns.get("uname") or ns.get("id") or ""
        ops = list(ns.iterfind("lrm/lrm_resources/lrm_resource/lrm_rsc_op"))
        # the last_failure_0 record is the one reported when last_0 repeats the same call
        ops.sort(key=lambda op: not (op.get("id") or "").endswith("_last_failure_0"))
        for op in ops:
            rc, status = int_attr(op, "rc-code"), int_attr(op, "op-status")
            if rc is None or status is None or not is_failure(op, rc, status):
                continue
            key = op.get("operation_key") or op.get("id") or ""
            if (key, node) in seen:
                continue  # last_0 and last_failure_0 of one failed call are listed once
            seen.add((key, node))
            parts = key.rsplit("_", 2)
            rsc = parts[0] if len(parts) == 3 else key
            yield FailedAction(rsc, op.get("operation", ""), int_attr(op, "interval") or 0,
                               node, rc, status, op.get("exit-reason", ""),
                               int_attr(op, "last-rc-change"), int_attr(op, "exec-time"))


def is_failure(op: Element, rc: int, status: int) -> bool:
    if status == -1:  # pending
        return False
    if status not in (0, 4):  # cancelled, timed out, ...: it could not be executed
        return True  # (4, "error", is judged by its rc like a completed call)
    key = op.get("transition-key", "")
    parts = key.split(":")
    target = int(parts[2]) if len(parts) >= 4 and parts[2].isdigit() else 0
    is_probe = op.get("operation") == "monitor" and op.get("interval", "0") == "0"
    if is_probe and rc in (0, 7, 8):  # a probe finding it running or stopped is no failure
        return False
    return rc != target and not (op.get("operation") == "monitor" and rc == 8)


def fail_counts(model: ClusterModel, root: Element) -> Iterable[FailCount]:
    """Per node (in status order) and resource: the summed fail-count-<rsc>#<op> attributes."""
    order: dict[str, int] = {}
    for i, (rid, resource) in enumerate(model.resources.items()):
        order.setdefault(rid, i)
        order.setdefault(resource.base or rid, i)
    by_id = {node.id: name for name, node in model.nodes.items()}
    for ns in root.iterfind("status/node_state"):
        name = by_id.get(ns.get("id") or "") or ns.get("uname") or ""
        if name not in model.nodes:
            continue
        counts, last = node_fail_counts(model.nodes[name].attrs)
        # Only resources with an operation history on the node are listed there.
        known = {(el.get("id") or "").split(":", 1)[0]
                 for el in ns.iterfind("lrm/lrm_resources/lrm_resource")}
        counts = {base: n for base, n in counts.items() if base.split(":", 1)[0] in known}
        for base in sorted(counts, key=lambda r: (order.get(r, len(order)), r)):
            owner = next((r for r, x in model.resources.items() if r == base or x.base == base),
                         None)
            threshold = model.meta(owner, "migration-threshold", str(INFINITY)) \
                if owner is not None else str(INFINITY)
            yield FailCount(name, base, parse_threshold(threshold), counts[base],
                            last.get(base))


def node_fail_counts(attrs: Mapping[str, str]) -> tuple[dict[str, int], dict[str, int]]:
    """(resource -> summed fail count, resource -> latest last-failure) of one node."""
    counts: dict[str, int] = {}
    last: dict[str, int] = {}
    for attr, value in attrs.items():
        if attr.startswith("fail-count-"):
            base = attr[len("fail-count-"):].split("#", 1)[0]
            n = INFINITY if "INFINITY" in value else (int(value) if value.isdigit() else 0)
            counts[base] = min(INFINITY, counts.get(base, 0) + n)
        elif attr.startswith("last-failure-") and value.isdigit():
            base = attr[len("last-failure-"):].split("#", 1)[0]
            last[base] = max(last.get(base, 0), int(value))
    return {k: v for k, v in counts.items() if v > 0}, last


def parse_threshold(text: str) -> int:
    if "INFINITY" in text:
        return INFINITY
    return int(text) if text.isdigit() else INFINITY


# --- the state after a transition (crm_simulate's "Revised Cluster Status") --------------

Action = tuple[str | None, str, str | None]  # (resource or None, task, node)
# Stops before starts, so that a restart on one node ends with the resource running there.
PHASES = ("stonith", "do_shutdown", "stop", "demote", "start", "promote")


def revised_view(view: StatusView, actions: Iterable[Action]) -> StatusView:
    """`view` after every given action succeeded: fenced or shut-down nodes go offline and
    take their resources with them, stops/starts/promotes/demotes move the roles."""
    by_phase = sorted((a for a in actions if a[1] in PHASES), key=lambda a: PHASES.index(a[1]))
    gone = frozenset(a[2] for a in by_phase if a[0] is None and a[2])
    moves = [a for a in by_phase if a[0] is not None and a[2]]
    nodes = tuple(NodeStatus(n.name, False, n.standby, n.maintenance, False, False, 0)
                  if n.name in gone else n for n in view.nodes)
    resources = tuple(revised_resource(r, gone, moves) for r in view.resources)
    prims = list(iter_primitives(resources))
    counted = tuple(replace(n, active_resources=sum(1 for p in prims if n.name in p.nodes))
                    for n in nodes)
    summary = replace(view.summary, blocked=sum(1 for p in prims if p.blocked))
    return StatusView(summary, counted, resources, view.failed_actions, view.fail_counts)


def revised_resource(r: ResourceStatus, gone: frozenset[str], moves: list[Action],
                     promotable: bool = False) -> ResourceStatus:
    if isinstance(r, PrimitiveStatus):
        return revised_primitive(r, gone, moves, promotable)
    if isinstance(r, GroupStatus):
        return replace(r, members=tuple(revised_primitive(m, gone, moves, promotable)
                                        for m in r.members))
    instances = tuple(revised_resource(i, gone, moves, r.promotable) for i in r.instances)
    return replace(r, instances=instances)  # type: ignore[arg-type]


def revised_primitive(p: PrimitiveStatus, gone: frozenset[str], moves: list[Action],
                      promotable: bool) -> PrimitiveStatus:
    nodes = [n for n in p.nodes if n not in gone]
    role, failed = p.role, p.failed and len(nodes) == len(p.nodes)
    for rsc, task, node in moves:
        if rsc != (p.key or p.id) or node is None:
            continue
        if task == "stop" and node in nodes:
            nodes.remove(node)
            failed = False
        elif task == "start" and node not in nodes:
            nodes.append(node)
            role = "Unpromoted" if promotable else "Started"
            failed = False
        elif task == "promote":
            role = "Promoted"
        elif task == "demote":
            role = "Unpromoted"
    if not nodes:
        role = "Stopped"
    elif role in ("Stopped", "Starting"):
        role = "Unpromoted" if promotable else "Started"
    return replace(p, nodes=tuple(nodes), role=role, failed=failed, unclean=False)

"""CIB XML -> ClusterModel: properties, nodes, resources (clones expanded), constraints.

Owns reading the configuration section as Pacemaker Explained describes it; the
status section is read by history.py. Must never do I/O or read the clock: `now_s`
is an argument. Invalid pieces are skipped, never raised on (the CIB is peer input).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from hacluster.common import INFINITY, duration_ms, is_true
from hacluster.scheduler.constraints import unpack_constraints, with_clone_children
from hacluster.scheduler.history import node_by_state, unpack_status
from hacluster.scheduler.model import (
    ClusterModel,
    Node,
    OpConfig,
    PrimitiveState,
    Resource,
    parse_role,
)
from hacluster.scheduler.references import expand_references
from hacluster.scheduler.rules import merged_sets
from hacluster.scheduler.tickets import (
    fence_lost,
    ticket_effects,
    ticket_states,
    unpack_rsc_tickets,
)
from hacluster.scheduler.unpack_time import int_or_zero

Element = Any





def parse_interval_ms(text: str | None) -> int:
    """An interval or timeout in ms (common.values' reading; 0 when missing or unreadable)."""
    return duration_ms(text, 0)


def id_index(root: Element) -> dict[str, Element]:
    """Elements by id, for id-ref; later duplicates win. Operation history (<lrm>) is
    skipped: nothing refers to it by id-ref, and it is most of a big CIB's elements."""
    ids: dict[str, Element] = {}
    for el in indexed_elements(root):
        if isinstance(el.tag, str) and el.get("id"):
            ids[el.get("id")] = el
    return ids


def indexed_elements(root: Element) -> Iterator[Element]:
    """root.iter() in document order, minus the subtrees of status/node_state/lrm."""
    yield root
    for top in root:
        if top.tag != "status":
            yield from top.iter()
            continue
        yield top
        for ns in top:
            if ns.tag != "node_state":
                yield from ns.iter()
                continue
            yield ns
            for part in ns:
                if part.tag != "lrm":
                    yield from part.iter()


def unpack(cib_root: Element, now_s: int, sanitized: bool = False) -> ClusterModel:
    """Build the model of one CIB at wall-clock time `now_s` (seconds). `sanitized`: the
    CIB's secrets may be masked (crm_simulate's default): a change only in parameters an
    operation's history lists as secure is no change."""
    cib_root = expand_references(cib_root)
    ids = id_index(cib_root)
    config = cib_root.find("configuration")
    props = sets_of(config.find("crm_config") if config is not None else None,
                    "cluster_property_set", ids)
    rsc_defaults = sets_of(config.find("rsc_defaults") if config is not None else None,
                           "meta_attributes", ids)
    op_defaults = sets_of(config.find("op_defaults") if config is not None else None,
                          "meta_attributes", ids)
    stonith = is_true(props.get("stonith-enabled", "true"))
    quorum = is_true(cib_root.get("have-quorum", "false"))
    nodes, fence = unpack_nodes(cib_root, ids, props, stonith)
    resources, top = unpack_resources(config.find("resources") if config is not None else None,
                                      ids, len(nodes), op_defaults)
    states, resources, fence, nodes, deletable = unpack_status(cib_root, nodes, resources, top, rsc_defaults,
                                                    stonith, fence, now_s)
    if sanitized:
        states = {rid: unmasked(st) for rid, st in states.items()}
    block = config.find("constraints") if config is not None else None
    renamed = unpacked_history_ids(cib_root, nodes, stonith)
    locs, colocs, orders = unpack_constraints(block, nodes, resources, ids, now_s, renamed)
    tickets = ticket_effects(unpack_rsc_tickets(block, with_clone_children(resources, renamed),
                                                ids, stonith),
                             ticket_states(cib_root.find("status")), nodes, resources, states)
    nodes, fence = dict(nodes), dict(fence)
    fence_lost(nodes, fence, tickets.fence)
    return ClusterModel(now_s=now_s, properties=props, rsc_defaults=rsc_defaults,
                        op_defaults=op_defaults, nodes=nodes, resources=resources, top=top,
                        states=states, locations=locs + tickets.locations,
                        colocations=colocs, orders=orders, ticket_frozen=tickets.frozen,
                        have_quorum=quorum, stonith_enabled=stonith, fence_nodes=fence,
                        unprobed_members=pending_members(cib_root, nodes),
                        known_on=history_nodes(cib_root, nodes, stonith),
                        deletable=deletable)


def unmasked(state: PrimitiveState) -> PrimitiveState:
    if not state.masked_nodes:
        return state
    return replace(state, changed_nodes=state.changed_nodes - state.masked_nodes,
                   redefined_nodes=state.redefined_nodes - state.masked_nodes)


def pending_members(root: Element, nodes: Mapping[str, Node]) -> dict[str, frozenset[str]]:
    """Pending nodes that are in the membership, and what they already probed."""
    out: dict[str, frozenset[str]] = {}
    status = root.find("status")
    for ns in (status.findall("node_state") if status is not None else []):
        name = ns.get("uname")
        node = nodes.get(name or "")
        if node is None or not node.pending or not is_true(ns.get("in_ccm")):
            continue
        known = {str(r.get("id")).split(":")[0]
                 for r in ns.iterfind("lrm/lrm_resources/lrm_resource")}
        out[node.name] = frozenset(known)
    return out


def history_nodes(root: Element, nodes: Mapping[str, Node] | None = None,
                  stonith: bool = True) -> dict[str, dict[str, str]]:
    """Base resource id (`rsc` for both `rsc` and `rsc:N`) -> the nodes whose lrm holds an
    entry for it with at least one completed operation (a pending probe, op-status or
    call-id -1, does not make the state known), each with that entry's id. Without
    fencing, the history of a node that is down is never read (Pacemaker 2.1.5)."""
    out: dict[str, dict[str, str]] = {}
    status = root.find("status")
    for ns in (status.findall("node_state") if status is not None else []):
        name = ns.get("uname")
        if not name:
            continue
        node = nodes.get(name) if nodes is not None else None
        if node is not None and not stonith and not (
                node.online or node.unclean or node.maintenance):
            continue
        for entry in ns.iterfind("lrm/lrm_resources/lrm_resource"):
            if not completed(entry):
                continue
            lrm_id = str(entry.get("id"))
            out.setdefault(lrm_id.split(":")[0], {}).setdefault(name, lrm_id)
    return out


def completed(entry: Element) -> bool:
    """An lrm_resource without operations, or with one that is not pending."""
    found = False
    for op in entry.iterfind("lrm_rsc_op"):
        if op.get("call-id") != "-1" and op.get("op-status") != "-1":
            return True
        found = True
    return not found


def unpacked_history_ids(root: Element, nodes: Mapping[str, Node],
                         stonith: bool) -> frozenset[str]:
    """The lrm_resource ids of the histories Pacemaker reads: those of nodes online, in
    maintenance or unclean, and, with fencing enabled, of offline nodes too (it reads
    them to find what must be fenced), active or not."""
    out: set[str] = set()
    status = root.find("status")
    for ns in (status.findall("node_state") if status is not None else []):
        name = node_by_state(ns, nodes)
        if name is None:
            continue
        node = nodes[name]
        if stonith or node.online or node.unclean or node.maintenance:
            out.update(str(r.get("id")) for r in ns.iterfind("lrm/lrm_resources/lrm_resource"))
    return frozenset(out)


def sets_of(parent: Element | None, tag: str, ids: Mapping[str, Element]) -> dict[str, str]:
    """Cluster properties or defaults; cib-bootstrap-options is read before other sets."""
    return merged_sets(parent, tag, ids, first="cib-bootstrap-options"
                       if tag == "cluster_property_set" else None)


def unpack_nodes(root: Element, ids: Mapping[str, Element], props: Mapping[str, str],
                 stonith: bool) -> tuple[dict[str, Node], dict[str, str]]:
    """Nodes in configuration order, with online/standby/unclean from node_state."""
    states = {}
    status = root.find("status")
    if status is not None:
        for ns in status.findall("node_state"):
            states[ns.get("id")] = ns
            if ns.get("uname"):
                states.setdefault("uname:" + ns.get("uname"), ns)
    dc = root.get("dc-uuid")
    nodes: dict[str, Node] = {}
    fence: dict[str, str] = {}
    config = root.find("configuration")
    node_els = config.find("nodes") if config is not None else None
    for el in (node_els if node_els is not None else []):
        if el.tag != "node" or el.get("type") in ("remote",):
            continue
        name = el.get("uname") or el.get("id")
        nid = el.get("id") or name
        ns = states.get(nid)
        if ns is None:
            ns = states.get("uname:" + name)
        attrs = node_attributes(el, ns, ids, props, dc)
        util = {k: int_or_zero(v) for k, v in merged_sets(el, "utilization", ids).items()}
        node, reason = node_from_state(name, nid, el.get("type"), attrs, util, ns, props,
                                       stonith)
        nodes[name] = node
        if reason and stonith:
            fence[name] = reason
    return nodes, fence


def node_attributes(el: Element, state: Element | None, ids: Mapping[str, Element],
                    props: Mapping[str, str], dc: str | None) -> dict[str, str]:
    """What rules see of one node: #uname, #id, #kind, #is_dc (#cluster-name), then its
    permanent attributes, then its transient ones (status/node_state), which win."""
    name = el.get("uname") or el.get("id")
    nid = el.get("id") or name
    attrs = {"#uname": name, "#id": nid, "#kind": "cluster",
             "#is_dc": "true" if dc == nid else "false"}
    if props.get("cluster-name"):
        attrs["#cluster-name"] = props["cluster-name"]
    attrs.update(merged_sets(el, "instance_attributes", ids))
    if state is not None:
        for ta in state.findall("transient_attributes"):
            attrs.update(merged_sets(ta, "instance_attributes", ids))
    return attrs


def params_on_node(cib_root: Element, prim: Element, node_name: str,
                   now_s: int = 0) -> dict[str, str]:
    """`prim`'s instance attributes as its agent gets them on `node_name`: sets with a rule
    count only where the rule holds for that node (Pacemaker evaluates them per node, so
    one CIB can give each node its own interface or namespace names)."""
    blocks = prim.findall("instance_attributes")
    if not any(b.get("id-ref") is not None or b.find(".//rule") is not None
               or any(p.get("id-ref") is not None for p in b.iter("nvpair")) for b in blocks):
        return merged_sets(prim, "instance_attributes", {})
    ids = id_index(cib_root)
    props = sets_of(cib_root.find("configuration/crm_config"), "cluster_property_set", ids)
    node_el = next((el for el in cib_root.iterfind("configuration/nodes/node")
                    if (el.get("uname") or el.get("id")) == node_name), None)
    if node_el is None:
        attrs = {"#uname": node_name, "#kind": "cluster"}
    else:
        state = next((ns for ns in cib_root.iterfind("status/node_state")
                      if ns.get("id") == node_el.get("id")), None)
        attrs = node_attributes(node_el, state, ids, props, cib_root.get("dc-uuid"))
    return merged_sets(prim, "instance_attributes", ids, attrs, now_s)


def node_from_state(name: str, nid: str, kind: str | None, attrs: Mapping[str, str],
                    util: Mapping[str, int], ns: Element | None, props: Mapping[str, str],
                    stonith: bool) -> tuple[Node, str]:
    """Decide online/unclean/pending from a node_state element (or its absence)."""
    online, unclean, pending, reason = False, False, False, ""
    shutdown = attrs.get("shutdown", "0") not in ("0", "")
    if ns is None:
        if stonith and is_true(props.get("startup-fencing", "true")):
            unclean, reason = True, "node is unclean"
    else:
        in_ccm = ns.get("in_ccm", "false")
        in_cluster = is_true(in_ccm) or (in_ccm.isdigit() and int(in_ccm) > 0)
        raw_ccm = ns.get("in_ccm")
        crmd = ns.get("crmd", "offline")
        crmd_online = crmd == "online" or (crmd.isdigit() and int(crmd) > 0)
        join = ns.get("join", "down")
        expected = ns.get("expected")
        terminate = attrs.get("terminate", "")
        if shutdown and stonith:
            # A node asked to shut down is still up while its controller runs, and is
            # cleanly gone once it stopped (whatever the membership layer says).
            online = crmd_online
        elif stonith:
            online, unclean, pending, reason = state_with_fencing(
                raw_ccm, crmd_online, join, expected, terminate)
        else:
            online, pending = state_without_fencing(in_cluster, crmd_online, join,
                                                    expected or "down")
    if kind == "ping":
        online = False
    standby = is_true(attrs.get("standby")) or pending
    maintenance = is_true(attrs.get("maintenance"))
    node = Node(name=name, id=nid, online=online, standby=standby, maintenance=maintenance,
                unclean=unclean, shutdown=shutdown and online, pending=pending,
                fence_reason=reason, attrs=attrs, utilization=util)
    return node, reason


def state_with_fencing(in_ccm: str | None, crmd_online: bool, join: str,
                       expected: str | None, terminate: str) -> tuple[bool, bool, bool, str]:
    """(online, unclean, pending, fence reason) when fencing is enabled."""
    in_cluster = in_ccm is not None and (is_true(in_ccm) or (in_ccm.isdigit() and int(in_ccm) > 0))
    do_terminate = is_true(terminate) or (terminate[:1].isdigit() and terminate[:1] != "0")
    if in_cluster and crmd_online and join == "member":
        if do_terminate:
            return True, True, False, "termination was requested"
        return True, False, False, ""
    if join in ("nack", "banned"):
        return False, True, False, "peer failed Pacemaker membership criteria"
    if in_ccm is None:
        return False, True, False, "peer has not been seen by the cluster"
    if not do_terminate and expected != "member":
        return False, False, crmd_online or in_cluster, ""
    if not in_cluster:
        # Expected as a member but gone (join "down" included): Pacemaker fences it.
        return False, True, False, "peer is no longer part of the cluster"
    if not crmd_online:
        return False, True, False, "peer process is no longer available"
    if do_terminate:
        return False, True, False, "termination was requested"
    return False, False, True, ""


def state_without_fencing(in_cluster: bool, crmd_online: bool, join: str,
                          expected: str) -> tuple[bool, bool]:
    """(online, pending) when fencing is disabled: unclean nodes are simply down."""
    if not in_cluster:
        return False, False
    if crmd_online:
        if join == "member":
            return True, False
        return False, join not in ("down",)
    return False, False


def unpack_ops(el: Element, ids: Mapping[str, Element],
               op_defaults: Mapping[str, str]) -> tuple[OpConfig, ...]:
    ops: list[OpConfig] = []
    block = el.find("operations")
    if block is not None and block.get("id-ref") in ids:
        block = ids[block.get("id-ref")]
    for op in (block if block is not None else []):
        if op.tag != "op":
            continue
        meta = merged_sets(op, "meta_attributes", ids)
        on_fail = op.get("on-fail") or meta.get("on-fail") or op_defaults.get("on-fail")
        enabled = op.get("enabled") or meta.get("enabled") or "true"
        timeout = op.get("timeout") or meta.get("timeout") or op_defaults.get("timeout", "20s")
        ops.append(OpConfig(name=op.get("name", ""),
                            interval_ms=parse_interval_ms(op.get("interval", "0")),
                            role=parse_role(op.get("role")), on_fail=on_fail,
                            enabled=is_true(enabled), timeout_ms=parse_interval_ms(timeout),
                            params=merged_sets(op, "instance_attributes", ids)))
    return tuple(ops)


def agent_of(el: Element) -> str:
    cls, prov, typ = el.get("class", ""), el.get("provider"), el.get("type", "")
    return f"{cls}:{prov}:{typ}" if prov else f"{cls}:{typ}"


def unpack_resources(block: Element | None, ids: Mapping[str, Element], n_nodes: int,
                     op_defaults: Mapping[str, str]) -> tuple[dict[str, Resource],
                                                              tuple[str, ...]]:
    out: dict[str, Resource] = {}
    top: list[str] = []
    for el in (block if block is not None else []):
        if el.tag in ("primitive", "group", "clone", "master"):
            add_resource(el, None, out, ids, n_nodes, op_defaults, "")
            top.append(el.get("id"))
    return out, tuple(top)


def add_resource(el: Element, parent: str | None, out: dict[str, Resource],
                 ids: Mapping[str, Element], n_nodes: int, op_defaults: Mapping[str, str],
                 suffix: str) -> str:
    """Add `el` (and its descendants) under `parent`; clone children get ':N' ids."""
    base = str(el.get("id"))
    rid = base + suffix
    meta = merged_sets(el, "meta_attributes", ids)
    if el.tag == "primitive":
        out[rid] = Resource(
            id=rid, kind="primitive", parent=parent, children=(), meta=meta, agent=agent_of(el),
            ops=unpack_ops(el, ids, op_defaults),
            utilization={k: int_or_zero(v) for k, v in
                         merged_sets(el, "utilization", ids).items()},
            params=merged_sets(el, "instance_attributes", ids), base=base,
            digestible=not any(b.find("rule") is not None or b.get("id-ref") is not None
                               for b in el.findall("instance_attributes")))
        return rid
    if el.tag == "group":
        kids = [add_resource(c, rid, out, ids, n_nodes, op_defaults, suffix)
                for c in el if c.tag == "primitive"]
        out[rid] = Resource(id=rid, kind="group", parent=parent, children=tuple(kids), meta=meta,
                            agent="", ops=(), utilization={}, params={}, base=base)
        return rid
    return add_clone(el, rid, meta, out, ids, n_nodes, op_defaults)


def add_clone(el: Element, rid: str, meta: Mapping[str, str], out: dict[str, Resource],
              ids: Mapping[str, Element], n_nodes: int, op_defaults: Mapping[str, str]) -> str:
    child = next((c for c in el if c.tag in ("primitive", "group")), None)
    promotable = el.tag == "master" or is_true(meta.get("promotable"))
    clone_max = int_or_zero(meta.get("clone-max", str(n_nodes)))
    node_max = int_or_zero(meta.get("clone-node-max", "1"))
    promoted_max = int_or_zero(meta.get("promoted-max", meta.get("master-max", "1")))
    promoted_node_max = int_or_zero(meta.get("promoted-node-max",
                                             meta.get("master-node-max", "1")))
    kids: list[str] = []
    if child is not None:
        for i in range(max(0, clone_max)):
            kids.append(add_resource(child, rid, out, ids, n_nodes, op_defaults, f":{i}"))
        if not kids and child.tag == "primitive":
            # No instances at all: keep an orphan template so history still maps here.
            tid = add_resource(child, rid, out, ids, n_nodes, op_defaults, ":template")
            out[tid] = replace(out[tid], orphan=True)
    out[rid] = Resource(id=rid, kind="clone", parent=None, children=tuple(kids), meta=meta,
                        agent="", ops=(), utilization={}, params={}, promotable=promotable,
                        unique=is_true(meta.get("globally-unique")), clone_max=clone_max,
                        clone_node_max=node_max, promoted_max=promoted_max,
                        promoted_node_max=promoted_node_max,
                        base=child.get("id") if child is not None else rid)
    return rid


UNUSED = INFINITY

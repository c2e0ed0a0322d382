"""Anonymous clone instance numbering: which clone instance (or new orphan instance) each
lrm_resource history belongs to, as the histories are read node by node.

A history of an anonymous clone's primitive goes to the instance already active on that
node; else to the first instance active nowhere yet. It becomes a new orphan instance
(numbered after the configured ones) when that node already runs an instance whose
member was seen active there (a second history of one instance on one node), or when
the node is offline or unclean and the resource needs no fencing to recover
(`requires` quorum or nothing) and the clone is not one instance per node: an instance
number is not spent on a node about to be fenced. Pure: never does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from hacluster.scheduler.model import Node, Resource, Role
from hacluster.scheduler.operations import NodeHistory

Entry = tuple[str, str, NodeHistory]  # node, lrm_resource id, what its operations say


@dataclass(slots=True)
class Numbering:
    """What the mapping has learnt so far: per top instance the nodes it is active on,
    and the primitives seen active anywhere."""

    active: dict[str, set[str]] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Mapped:
    """Every history assigned: per resource its history per node, the lrm ids it was
    read as, and per node the first resource found active there."""

    histories: dict[str, dict[str, NodeHistory]]
    names: dict[str, dict[str, str]]
    first_active: dict[str, str]


def map_histories(entries: list[Entry], resources: dict[str, Resource],
                  nodes: Mapping[str, Node], stonith: bool,
                  defaults: Mapping[str, str]) -> Mapped:
    """Assign each history to its resource, adding orphan instances to `resources`."""
    histories: dict[str, dict[str, NodeHistory]] = {}
    names: dict[str, dict[str, str]] = {}
    first_active: dict[str, str] = {}
    seen = Numbering()
    named_active: set[tuple[str, str]] = set()
    templates_of = templates_by_base(resources)
    for node, lrm_id, hist in entries:
        is_active = hist.role not in (Role.UNKNOWN, Role.STOPPED)
        rid = resource_for(lrm_id, node, resources, templates_of, seen)
        if rid == "":
            rid = instance_on(lrm_id, node, resources, templates_of, seen,
                              spare_ok=not spends_no_number(lrm_id, node, resources, nodes,
                                                            stonith, defaults))
        if rid is None and is_active:
            rid = add_orphan(lrm_id, resources)
        if rid is None:
            continue
        if is_active:
            seen.active.setdefault(top_instance(rid, resources), set()).add(node)
            seen.running.add(rid)
            first_active.setdefault(node, rid)
        histories.setdefault(rid, {})[node] = merge_history(histories.get(rid, {}).get(node),
                                                            hist)
        # A resource's history on a node is known by the id its active history has.
        if is_active and (rid, node) not in named_active:
            named_active.add((rid, node))
            names.setdefault(rid, {})[node] = lrm_id
    return Mapped(histories, names, first_active)


def templates_by_base(resources: Mapping[str, Resource]) -> dict[str, list[Resource]]:
    """Configured (non-orphan) primitives by base id, in resource order: built once per
    unpack instead of a scan of every resource per lrm_resource."""
    found: dict[str, list[Resource]] = {}
    for r in resources.values():
        if r.kind == "primitive" and not r.orphan:
            found.setdefault(r.base, []).append(r)
    return found


def resource_for(lrm_id: str, node: str, resources: Mapping[str, Resource],
                 templates_of: Mapping[str, list[Resource]], seen: Numbering) -> str | None:
    """The resource a history names outright (a primitive, a unique clone's instance),
    None when nothing configured matches, or "" for an anonymous clone's primitive."""
    rsc = resources.get(lrm_id)
    if rsc is not None and rsc.kind == "primitive":
        clone = clone_of(rsc, resources)
        return lrm_id if clone is None or clone.unique else ""
    templates = templates_of.get(lrm_id.split(":")[0], [])
    if not templates:
        return None
    clone = clone_of(templates[0], resources)
    if clone is None:
        return templates[0].id if templates[0].id == templates[0].base else None
    if clone.unique:
        return lrm_id if lrm_id in resources else None
    return ""


def instance_on(lrm_id: str, node: str, resources: dict[str, Resource],
                templates_of: Mapping[str, list[Resource]], seen: Numbering,
                spare_ok: bool) -> str | None:
    """The anonymous clone instance member a history on `node` belongs to; a new orphan
    instance when no configured one may take it."""
    base = lrm_id.split(":")[0]
    rsc = resources.get(lrm_id)
    template = rsc if rsc is not None and rsc.kind == "primitive" else templates_of[base][0]
    clone = clone_of(template, resources)
    assert clone is not None
    chosen: str | None = None
    spare: str | None = None
    second = False
    for inst in clone.children:
        where = seen.active.get(inst)
        if where:
            member = member_of(inst, base, resources) if node in where else None
            if member is not None and member in seen.running:
                second = True  # this node already ran this instance's member
            elif member is not None:
                chosen = member
                break
        elif spare is None and not second:
            spare = member_of(inst, base, resources)
    if chosen is None and not second:
        chosen = spare
    if chosen is not None and not spare_ok:
        chosen = None
    return chosen if chosen is not None else add_orphan(lrm_id, resources)


def spends_no_number(lrm_id: str, node: str, resources: Mapping[str, Resource],
                     nodes: Mapping[str, Node], stonith: bool,
                     defaults: Mapping[str, str]) -> bool:
    """Whether a history on `node` must not take a configured instance number: the node
    is down or unclean, the resource recovers without fencing, the clone does not have
    one instance per node."""
    where = nodes.get(node)
    if where is None or (where.online and not where.unclean):
        return False
    base = lrm_id.split(":")[0]
    rsc = resources.get(lrm_id) or next(
        (r for r in resources.values() if r.base == base and r.kind == "primitive"), None)
    clone = clone_of(rsc, resources) if rsc is not None else None
    if rsc is None or clone is None or clone.clone_max == len(nodes):
        return False
    default = "quorum" if not stonith or rsc.agent.startswith("stonith:") else "fencing"
    return inherited(rsc, "requires", resources, defaults, default) in ("quorum", "nothing")


def inherited(rsc: Resource, name: str, resources: Mapping[str, Resource],
              defaults: Mapping[str, str], default: str) -> str:
    here: Resource | None = rsc
    while here is not None:
        if name in here.meta:
            return here.meta[name].strip().lower()
        here = resources[here.parent] if here.parent is not None else None
    return defaults.get(name, default).strip().lower()


def clone_of(rsc: Resource, resources: Mapping[str, Resource]) -> Resource | None:
    pid = rsc.parent
    while pid is not None:
        parent = resources[pid]
        if parent.kind == "clone":
            return parent
        pid = parent.parent
    return None


def member_of(instance: str, base: str, resources: Mapping[str, Resource]) -> str | None:
    """The primitive with `base` inside clone instance `instance` (itself or a member)."""
    rsc = resources[instance]
    if rsc.kind == "primitive":
        return instance if rsc.base == base else None
    for child in rsc.children:
        if resources[child].base == base:
            return child
    return None


def top_instance(rid: str, resources: Mapping[str, Resource]) -> str:
    rsc = resources[rid]
    while rsc.parent is not None and resources[rsc.parent].kind != "clone":
        rsc = resources[rsc.parent]
    return rsc.id


def merge_history(old: NodeHistory | None, new: NodeHistory) -> NodeHistory:
    if old is None:
        return new
    return old if old.role >= new.role and not new.failed else new


def add_orphan(lrm_id: str, resources: dict[str, Resource]) -> str | None:
    """A resource for a history nothing configured takes: a bare orphan primitive, or a
    new orphan instance of the anonymous clone its id names."""
    base = lrm_id.split(":")[0]
    template = next((r for r in resources.values() if r.base == base), None)
    if template is None:
        resources[lrm_id] = Resource(id=lrm_id, kind="primitive", parent=None, children=(),
                                     meta={}, agent="", ops=(), utilization={}, params={},
                                     orphan=True, base=base)
        return lrm_id
    clone = clone_of(template, resources) if template.kind == "primitive" else None
    if clone is None or template.parent is None or resources[template.parent].kind != "clone":
        return None
    n = len(clone.children)
    while f"{base}:{n}" in resources:
        n += 1
    oid = f"{base}:{n}"
    resources[oid] = replace(template, id=oid, orphan=True)
    resources[clone.id] = replace(clone, children=clone.children + (oid,))
    return oid

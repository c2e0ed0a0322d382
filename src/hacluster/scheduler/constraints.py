"""Constraint unpacking: rsc_location (scores, rules, patterns, sets), rsc_colocation and
rsc_order, including resource sets, into flat Location/Colocation/Order values.

Owns Pacemaker Explained's "Resource Constraints" chapter semantics at unpack time:
rules are evaluated per node here. Must never place resources or do I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hacluster.common import is_true, parse_score
from hacluster.scheduler.model import (
    Colocation,
    Location,
    Node,
    Order,
    Resource,
    Role,
    parse_role,
)
from hacluster.scheduler.rules import evaluate_rule, rule_score

Element = Any


def unpack_constraints(block: Element | None, nodes: Mapping[str, Node],
                       resources: Mapping[str, Resource], ids: Mapping[str, Element],
                       now_s: int, renamed: frozenset[str] = frozenset()
                       ) -> tuple[tuple[Location, ...], tuple[Colocation, ...],
                                  tuple[Order, ...]]:
    """`renamed`: the ids anonymous clone instances were read from in the status section
    (see with_clone_children)."""
    locs: list[Location] = []
    colocs: list[Colocation] = []
    orders: list[Order] = []
    resources = with_clone_children(resources, renamed)
    for el in (block if block is not None else []):
        if el.tag == "rsc_location":
            locs.extend(unpack_location(el, nodes, resources, ids, now_s))
        elif el.tag == "rsc_colocation":
            colocs.extend(unpack_colocation(el, resources, ids))
        elif el.tag == "rsc_order":
            orders.extend(unpack_order(el, resources, ids))
    return tuple(locs), tuple(colocs), tuple(orders)


def with_clone_children(resources: Mapping[str, Resource],
                        renamed: frozenset[str]) -> Mapping[str, Resource]:
    """`resources`, plus the configured id of a primitive inside a clone standing for the
    clone, but only when an instance was read from a history under that very id (an
    anonymous instance's plain id, as recorded once it has been probed or run): Pacemaker
    2.1.5 finds a constraint's resource by id or by the name an instance was renamed from,
    and takes the top-level clone of what it finds. Otherwise a constraint naming the
    primitive (or a group) inside a clone names nothing and is ignored. So `crm_resource
    --ban` of a clone's primitive bans the clone once that primitive has any history.
    Constraint values use `resources[rid].id`."""
    view = dict(resources)
    for rsc in resources.values():
        top = rsc
        while top.parent is not None:
            top = resources[top.parent]
        if top.kind == "clone" and top.id != rsc.id and rsc.base not in view \
                and rsc.base in renamed:
            view[rsc.base] = top
    return view


def set_members(el: Element, ids: Mapping[str, Element]) -> list[str]:
    if el.get("id-ref") in ids:
        el = ids[el.get("id-ref")]
    return [ref.get("id") for ref in el.findall("resource_ref")]


def known_members(rset: Element, ids: Mapping[str, Element],
                  resources: Mapping[str, Resource]) -> list[str]:
    """A resource set's members that name configured resources, in set order."""
    return [resources[m].id for m in set_members(rset, ids) if m in resources]


def is_sequential(rset: Element) -> bool:
    return is_true(rset.get("sequential"), default=True)


def sets_of(el: Element, ids: Mapping[str, Element]) -> list[Element]:
    out = []
    for s in el.findall("resource_set"):
        out.append(ids[s.get("id-ref")] if s.get("id-ref") in ids else s)
    return out


def unpack_location(el: Element, nodes: Mapping[str, Node], resources: Mapping[str, Resource],
                    ids: Mapping[str, Element], now_s: int) -> list[Location]:
    targets: list[tuple[str, str | None]] = []
    if el.get("rsc"):
        targets.append((el.get("rsc"), el.get("role")))
    elif el.get("rsc-pattern"):
        pattern = re.compile(el.get("rsc-pattern"))
        for rid, rsc in resources.items():
            if rid != rsc.id:
                continue
            if rsc.parent is None and pattern.search(rid) and rsc.kind != "clone" \
                    or (rsc.kind == "clone" and pattern.search(rid)):
                targets.append((rid, el.get("role")))
    for rset in sets_of(el, ids):
        targets.extend((m, rset.get("role") or el.get("role")) for m in set_members(rset, ids))
    out: list[Location] = []
    cid = el.get("id", "")
    discovery = (el.get("resource-discovery") or "always").lower()
    if discovery not in ("always", "never", "exclusive"):
        discovery = "always"
    for named, role_text in targets:
        if named not in resources:
            continue
        rid = resources[named].id
        role = parse_role(role_text)
        if el.get("node") is not None:
            score = parse_score(el.get("score", "0"))
            if el.get("node") in nodes and score is not None:
                out.append(Location(cid, rid, el.get("node"), score, role, discovery))
            continue
        for rule in el.findall("rule"):
            if rule.get("id-ref") in ids:
                rule = ids[rule.get("id-ref")]
            rrole = parse_role(rule.get("role")) or role
            sources = {"param": resources[rid].params, "meta": resources[rid].meta}
            for name, node in nodes.items():
                if not evaluate_rule(rule, node.attrs, now_s, sources):
                    continue
                score = rule_score(rule, node.attrs)
                if score is not None:
                    out.append(Location(cid, rid, name, score, rrole, discovery))
    return out


def unpack_colocation(el: Element, resources: Mapping[str, Resource],
                      ids: Mapping[str, Element]) -> list[Colocation]:
    cid = el.get("id", "")
    score = parse_score(el.get("score", "0"))
    if score is None:
        score = 0
    influence = is_true(el.get("influence"), default=True)
    if el.get("rsc") is not None:
        dep, prim = el.get("rsc"), el.get("with-rsc")
        if dep not in resources or prim not in resources:
            return []
        dep, prim = resources[dep].id, resources[prim].id
        return [Colocation(cid, dep, prim, score,
                           coloc_role(el.get("rsc-role")), coloc_role(el.get("with-rsc-role")),
                           influence, el.get("node-attribute", "#uname"))]
    out: list[Colocation] = []
    sets = sets_of(el, ids)
    for rset in sets:
        members = known_members(rset, ids, resources)
        role = coloc_role(rset.get("role"))
        if is_sequential(rset):
            for prev, cur in zip(members, members[1:], strict=False):
                out.append(Colocation(cid, cur, prev, score, role, role, influence))
    for s1, s2 in zip(sets, sets[1:], strict=False):
        m1 = known_members(s1, ids, resources)
        m2 = known_members(s2, ids, resources)
        if not m1 or not m2:
            continue
        seq1 = is_sequential(s1)
        seq2 = is_sequential(s2)
        deps = [m1[0]] if seq1 else m1
        prims = [m2[-1]] if seq2 else m2
        for d in deps:
            for p in prims:
                out.append(Colocation(cid, d, p, score, coloc_role(s1.get("role")),
                                      coloc_role(s2.get("role")), influence))
    return out


def coloc_role(text: str | None) -> Role | None:
    """A colocation's role: Started names no role (any active one), as unset."""
    role = parse_role(text)
    return None if role == Role.STARTED else role


def order_kind(el: Element) -> str:
    kind = el.get("kind")
    if kind:
        return kind.capitalize() if kind.lower() != "serialize" else "Serialize"
    score = parse_score(el.get("score", "INFINITY"))
    return "Optional" if score == 0 else "Mandatory"


def unpack_order(el: Element, resources: Mapping[str, Resource],
                 ids: Mapping[str, Element]) -> list[Order]:
    cid = el.get("id", "")
    kind = order_kind(el)
    symmetrical_default = "false" if kind == "Serialize" else "true"
    sym = is_true(el.get("symmetrical", symmetrical_default))
    if el.get("first") is not None:
        first, then = el.get("first"), el.get("then")
        if first not in resources or then not in resources:
            return []
        first, then = resources[first].id, resources[then].id
        # (require-all=false is the deprecated clone-min=1 of a clone; else ignored)
        require_all = is_true(el.get("require-all"), default=True) \
            or resources[first].kind != "clone"
        return [Order(cid, first, el.get("first-action", "start"), then,
                      el.get("then-action", el.get("first-action", "start")), kind, sym,
                      require_all=require_all, first_set=(first,))]
    return unpack_order_sets(el, cid, kind, sym, resources, ids)


def unpack_order_sets(el: Element, cid: str, kind: str, sym: bool,
                      resources: Mapping[str, Resource],
                      ids: Mapping[str, Element]) -> list[Order]:
    out: list[Order] = []
    sets = sets_of(el, ids)
    for rset in sets:
        members = known_members(rset, ids, resources)
        action = rset.get("action", "start")
        skind = order_kind(rset) if (rset.get("kind") or rset.get("score")) else kind
        if is_sequential(rset):
            for prev, cur in zip(members, members[1:], strict=False):
                out.append(Order(cid, prev, action, cur, action, skind, sym))
    for s1, s2 in zip(sets, sets[1:], strict=False):
        m1 = known_members(s1, ids, resources)
        m2 = known_members(s2, ids, resources)
        if not m1 or not m2:
            continue
        # Between two sets only an explicit sequential=true counts (observed of
        # Pacemaker 2.1.5: a set without the attribute orders all its members against
        # the other set, though inside the set it is sequential).
        seq1 = is_true(s1.get("sequential"), default=False)
        seq2 = is_true(s2.get("sequential"), default=False)
        a1, a2 = s1.get("action", "start"), s2.get("action", "start")
        firsts = [m1[-1]] if seq1 else m1
        thens = [m2[0]] if seq2 else m2
        require_all = is_true(s1.get("require-all"), default=True)
        if not require_all:
            for t in thens:
                out.append(Order(s1.get("id", cid), firsts[0], a1, t, a2, kind, sym,
                                 require_all=False, first_set=tuple(m1), from_sets=True))
            continue
        for f in firsts:
            for t in thens:
                out.append(Order(cid, f, a1, t, a2, kind, sym))
    return out

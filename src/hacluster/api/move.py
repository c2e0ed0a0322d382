"""Where a resource runs, and the constraints that move, ban and clear it.

Owns `locate` (from the status section, as crm_mon reads it) and crm_resource's
cli-prefer-<rsc> / cli-ban-<rsc>-on-<node> location constraints, with an optional lifetime
(a rule with a date_expression ending at now + an ISO 8601 duration). `pcs resource move
-with-constraint / ban / clear` and `crm_resource --move / --ban / --clear` both come here.
`now_s` is always an argument. Must never print or read a clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hacluster.api import cibedit
from hacluster.api.cibedit import error, warning
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.common import Code, HaError, Problem, is_true

if TYPE_CHECKING:  # the status view imports the scheduler: only `locate` needs it
    from hacluster.api import status

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass(frozen=True, slots=True)
class Location:
    node: str
    role: str  # Started, Promoted or Unpromoted


def resource_locations(root: XMLElement, rid: str, now_s: int) -> list[Location] | None:
    """Where `rid` (a primitive, group, clone or clone child) is active; None if unknown."""
    from hacluster.api import status

    element = cibedit.find_resource(root, rid)
    if element is None or is_in_unique_clone(element):
        return None
    view = status.status_of_root(root, now_s, history=False)
    online = frozenset(n.name for n in view.nodes if n.online)
    found: list[Location] = []
    for resource in view.resources:
        if isinstance(resource, status.CloneStatus) and resource.id != rid \
                and is_inside(element, resource.id) and not is_named_anonymously(root, element):
            found += first_instance_locations(resource, rid)
        else:
            found += locations_in(resource, rid, False, online)
    return found


def is_in_unique_clone(element: XMLElement) -> bool:
    """Whether `element` lies inside a globally-unique clone: crm_resource knows its
    instances only by their instance ids there ("rsc:0"), not by the bare id."""
    parent = element.getparent()
    while parent is not None:
        if parent.tag in ("clone", "master") and any(
                is_true(v) for v in cibedit.find_values(
                    parent, "meta_attributes/nvpair[@name='globally-unique']/@value")):
            return True
        parent = parent.getparent()
    return False


def is_named_anonymously(root: XMLElement, element: XMLElement) -> bool:
    """Whether the history names a clone's primitive by its bare id: crm_resource then
    answers for every instance; otherwise only for the first instance (":0")."""
    return element.tag == "primitive" and bool(
        cibedit.find_all(root, "/cib/status/node_state/lrm/lrm_resources/lrm_resource[@id=$i]",
                   i=str(element.get("id"))))


def is_inside(element: XMLElement, ancestor_id: str) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.get("id") == ancestor_id:
            return True
        parent = parent.getparent()
    return False


def first_instance_locations(clone: status.CloneStatus, rid: str) -> list[Location]:
    from hacluster.api import status

    for instance in clone.instances:
        key = instance.key if isinstance(instance, status.PrimitiveStatus) else instance.id
        if key.endswith(":0"):
            return locations_in(instance, rid, inside=instance.id.split(":")[0] == rid
                                or isinstance(instance, status.PrimitiveStatus))
    return []


def locations_in(resource: status.ResourceStatus, rid: str, inside: bool,
                 online: frozenset[str] = frozenset()) -> list[Location]:
    from hacluster.api import status

    if isinstance(resource, status.PrimitiveStatus):
        base = resource.key.split(":")[0] or resource.id
        if inside or base == rid or resource.id == rid:
            # crm_resource lists a resource's nodes by prepending each: the last first
            return [Location(n, resource.role) for n in reversed(resource.nodes)]
        return []
    if isinstance(resource, status.GroupStatus):
        hit = inside or resource.id == rid
        found: list[Location] = []
        for member in resource.members:
            unmanaged = isinstance(member, status.PrimitiveStatus) \
                and (not member.managed or member.blocked)
            for loc in reversed(locations_in(member, rid, hit, online)):
                # Pacemaker adds an unmanaged member's (online) node to the group's nodes
                # without looking for it there first: such a node can appear twice
                if (unmanaged and loc.node in online) or loc not in found:
                    found.append(loc)
        return found[::-1]
    hit = inside or resource.id == rid or resource.child == rid
    found = []
    for instance in resource.instances:
        found += locations_in(instance, rid, hit, online)
    # Pacemaker collects a clone's locations by prepending each instance's node.
    return found[::-1]


def locate(env: CIBEnvironment, rid: str, now_s: int) -> list[Location]:
    found = resource_locations(env.read().root, rid, now_s)
    if found is None:
        raise HaError([error(Code.RSC_NOT_FOUND, f"Resource '{rid}' not found", id=rid)])
    return found


# -------------------------------------------------------------------------- lifetime


def parse_duration_s(text: str) -> tuple[int, int] | None:
    """ISO 8601 duration → (months, seconds); None when malformed."""
    match = _DURATION.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        return None
    y, mo, w, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    return y * 12 + mo, (((w * 7 + d) * 24 + h) * 60 + mi) * 60 + s


def lifetime_end(lifetime: str, now_s: int) -> str:
    parsed = parse_duration_s(lifetime)
    if parsed is None:
        raise HaError([error(Code.TOOL_BAD_VALUE, f"Invalid duration specified: {lifetime}\n"
                             "Please refer to https://en.wikipedia.org/wiki/ISO_8601#Durations "
                             "for examples of valid durations", lifetime=lifetime)])
    months, seconds = parsed
    start = dt.datetime.fromtimestamp(now_s, dt.UTC)
    year, month = divmod(start.month - 1 + months, 12)
    try:
        shifted = start.replace(year=start.year + year, month=month + 1)
    except ValueError:  # the 31st of a shorter month: the month's last day, as crm_time does
        shifted = start.replace(year=start.year + year, month=month + 2, day=1) \
            - dt.timedelta(days=1)
    return (shifted + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%SZ")


# ------------------------------------------------------------------ move / ban / clear


@dataclass(frozen=True, slots=True)
class MoveResult:
    constraint_id: str
    until: str  # "" without a lifetime
    problems: tuple[Problem, ...] = ()


def cli_constraint(root: XMLElement, cid: str, rid: str, node: str, score: str, role: str,
                   until: str, prefer: bool) -> None:
    constraints = cibedit.section(root, "constraints")
    for old in cibedit.find_all(root, "/cib/configuration/constraints/rsc_location[@id=$i]", i=cid):
        cibedit.remove_element(old)
    if not until:
        cibedit.sub_element(constraints, "rsc_location", {
            "id": cid, "rsc": rid, "role": role, "node": node, "score": score})
        return
    location = cibedit.sub_element(constraints, "rsc_location",
                                   {"id": cid, "rsc": rid, "role": role})
    ids = ((f"cli-prefer-rule-{rid}", f"cli-prefer-expr-{rid}", f"cli-prefer-lifetime-end-{rid}")
           if prefer else (f"{cid}-rule", f"{cid}-expr", f"{cid}-lifetime"))
    rule = cibedit.sub_element(location, "rule",
                               {"id": ids[0], "score": score, "boolean-op": "and"})
    cibedit.sub_element(rule, "expression", {"id": ids[1], "attribute": "#uname",
                                             "operation": "eq", "value": node,
                                             "type": "string"})
    cibedit.sub_element(rule, "date_expression",
                        {"id": ids[2], "operation": "lt", "end": until})


def node_problem(root: XMLElement, node: str) -> list[Problem]:
    if node in cibedit.node_names(root):
        return []
    return [error(Code.NODE_NOT_FOUND, f"Node '{node}' not found", node=node)]


def check_target(root: XMLElement, rid: str, node: str) -> list[Problem]:
    if cibedit.find_resource(root, rid) is None:
        return [error(Code.RSC_NOT_FOUND, f"Resource '{rid}' not found", id=rid)]
    return node_problem(root, node) if node else []


def current_node(root: XMLElement, rid: str, now_s: int) -> tuple[str, list[Problem]]:
    """Where a move or ban without a node applies: the one node `rid` is active on. Else
    crm_resource's refusal (it says "not moved" for a ban too), with the promoted count
    for a promotable resource."""
    where = resource_locations(root, rid, now_s) or []
    nodes = sorted({loc.node for loc in where})
    if len(nodes) == 1:
        return nodes[0], []
    element = cibedit.find_resource(root, rid)
    promotable = element is not None and promotable_clone(element) is not None
    promoted = len({loc.node for loc in where if loc.role == "Promoted"})
    count = f" (promoted in {promoted})" if promotable else ""
    extra = (f"To prevent '{rid}' from being promoted at a specific location, specify a node "
             "and the --promoted option." if promotable else "")
    return "", [error(Code.RSC_NOT_RUNNING, f"Resource '{rid}' not moved: active in "
                      f"{len(nodes)} locations{count}.\nTo prevent '{rid}' from running on a "
                      f"specific location, specify a node.{extra}", id=rid)]


def promotable_clone(element: XMLElement) -> XMLElement | None:
    """The promotable clone `element` is or lies in (None when none)."""
    current: XMLElement | None = element
    while current is not None:
        if current.tag == "master" or (current.tag == "clone" and any(
                is_true(v) for v in cibedit.find_values(
                    current, "meta_attributes/nvpair[@name='promotable']/@value"))):
            return current
        current = current.getparent()
    return None


def pcs_move_problems(element: XMLElement, promoted: bool) -> list[Problem]:
    """pcs moves only promotable clones among clones, and those only by the clone's id."""
    rid = str(element.get("id"))
    in_clone = element.tag in ("clone", "master") or any(
        a.tag in ("clone", "master") for a in element.iterancestors())
    promotable = promotable_clone(element)
    if in_clone and promotable is None:
        return [error(Code.RSC_WRONG_KIND, "cannot move cloned resources", id=rid,
                      closing="yes")]
    if promoted and promotable is not element:
        known = f" ({promotable.get('id')})" if promotable is not None else ""
        return [error(Code.RSC_WRONG_KIND, "when specifying --promoted you must use the "
                      f"promotable clone id{known}", id=rid, closing="yes")]
    if promotable is not None and promotable is not element:
        return [error(Code.RSC_WRONG_KIND, "to move promotable clone resources you must use "
                      f"the promotable clone id ({promotable.get('id')})", id=rid,
                      closing="yes")]
    return []


def move(env: CIBEnvironment, rid: str, node: str, now_s: int, lifetime: str = "",
         promoted: bool = False, pcs_rules: bool = False) -> MoveResult:
    """cli-prefer-<rsc> on `node`; without a node, a ban from where it runs now. With
    `pcs_rules`, what pcs refuses to move (pcs_move_problems) is refused."""
    if not node:
        return ban(env, rid, "", now_s, lifetime, promoted)
    role = "Promoted" if promoted else "Started"
    ends: list[str] = []

    def edit(root: XMLElement) -> list[Problem]:
        problems = check_target(root, rid, node)
        element = cibedit.find_resource(root, rid)
        if pcs_rules and element is not None:
            problems = pcs_move_problems(element, promoted) + problems
        if problems:
            return problems
        until = lifetime_end(lifetime, now_s) if lifetime else ""
        ends.append(until)
        cli_constraint(root, f"cli-prefer-{rid}", rid, node, "INFINITY", role, until, True)
        for old in cibedit.find_all(root, "/cib/configuration/constraints/rsc_location[@id=$i]",
                              i=f"cli-ban-{rid}-on-{node}"):
            cibedit.remove_element(old)
        return []

    cibedit.change(env, edit)
    return MoveResult(f"cli-prefer-{rid}", ends[0])


def ban(env: CIBEnvironment, rid: str, node: str, now_s: int, lifetime: str = "",
        promoted: bool = False) -> MoveResult:
    role = "Promoted" if promoted else "Started"
    chosen: list[str] = []
    ends: list[str] = []

    def edit(root: XMLElement) -> list[Problem]:
        problems = check_target(root, rid, node)
        target = node
        if not problems and not target:
            target, problems = current_node(root, rid, now_s)
        if problems:
            return problems
        until = lifetime_end(lifetime, now_s) if lifetime else ""
        ends.append(until)
        chosen.append(target)
        cli_constraint(root, f"cli-ban-{rid}-on-{target}", rid, target, "-INFINITY", role,
                       until, False)
        return [warning(Code.TOOL_BAD_VALUE, f"Creating rsc_location constraint "
                        f"'cli-ban-{rid}-on-{target}' with a score of -INFINITY for resource "
                        f"{rid} on {target}.")]

    warnings = cibedit.change(env, edit)
    return MoveResult(f"cli-ban-{rid}-on-{chosen[0]}", ends[0], tuple(warnings))


def clear(env: CIBEnvironment, rid: str, node: str = "", expired_only: bool = False,
          now_s: int = 0) -> list[str]:
    """Remove cli-prefer/cli-ban constraints of `rid` (only those naming `node`, if given)."""
    removed: list[str] = []

    def edit(root: XMLElement) -> list[Problem]:
        problems = check_target(root, rid, node)
        if problems:
            return problems
        for location in cli_constraints(root, rid):
            if node and constraint_node(location) != node:
                continue
            if expired_only and not is_expired(location, now_s):
                continue
            removed.append(str(location.get("id")))
            cibedit.remove_element(location)
        return []

    cibedit.change(env, edit)
    return removed


def cli_constraints(root: XMLElement, rid: str) -> list[XMLElement]:
    return [c for c in cibedit.find_all(root, "/cib/configuration/constraints/rsc_location[@rsc=$r]", r=rid)
            if str(c.get("id")) == f"cli-prefer-{rid}"
            or str(c.get("id")).startswith(f"cli-ban-{rid}-on-")]


def constraint_node(location: XMLElement) -> str:
    if location.get("node"):
        return str(location.get("node"))
    found = cibedit.find_values(location, "rule/expression[@attribute='#uname']/@value")
    return str(found[0]) if found else ""


def is_expired(location: XMLElement, now_s: int) -> bool:
    ends = cibedit.find_values(location, "rule/date_expression/@end")
    now = dt.datetime.fromtimestamp(now_s, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return bool(ends) and str(ends[0]) < now


def cli_constraint_ids(env: CIBEnvironment, rids: Sequence[str]) -> list[str]:
    root = env.read().root
    return [str(c.get("id")) for rid in rids for c in cli_constraints(root, rid)]

"""Tickets: rsc_ticket constraints and the ticket states of the status section (Pacemaker
Explained, "Multi-Site Clusters and Tickets").

A resource that depends on a ticket may run only while the ticket is granted and not in
standby. What happens to a resource that is active when its ticket is lost is its
constraint's loss-policy: stop (the default), demote (a Promoted dependency loses its
promotion only), fence (the nodes it runs on are fenced; without fencing enabled this
is stop) or freeze (it is left where it is, unmanaged). A ticket in standby, or one lost
while its resource is stopped, keeps the resource from starting (or from being
promoted, for a Promoted dependency with another loss-policy) without any loss-policy.

Owns turning those into plain model facts at unpack time: -INFINITY locations on every
primitive underneath the constrained resource (a Promoted dependency's promotion ban is a
Promoted-role location of the promotable clone), nodes to fence, and primitives frozen in
place. Must never place resources or do I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from hacluster.common import INFINITY, is_true
from hacluster.scheduler.model import Location, Node, PrimitiveState, Resource, Role, parse_role

Element = Any
LOSS_POLICIES = ("stop", "demote", "fence", "freeze")
FENCE_REASON = "deadman ticket was lost"


@dataclass(frozen=True, slots=True)
class TicketState:
    granted: bool
    standby: bool


@dataclass(frozen=True, slots=True)
class TicketDep:
    """One resource's dependency on a ticket (an rsc_ticket, or one member of its sets)."""

    id: str
    ticket: str
    rsc: str
    role: Role | None
    loss_policy: str


@dataclass(frozen=True, slots=True)
class TicketEffects:
    locations: tuple[Location, ...]
    fence: Mapping[str, str]  # node -> reason
    frozen: frozenset[str]  # primitives left unmanaged where they are


def ticket_states(status: Element | None) -> dict[str, TicketState]:
    """status/tickets/ticket_state; a ticket nobody recorded is not granted."""
    out: dict[str, TicketState] = {}
    block = status.find("tickets") if status is not None else None
    for el in (block.findall("ticket_state") if block is not None else []):
        if el.get("id"):
            out[el.get("id")] = TicketState(is_true(el.get("granted")),
                                            is_true(el.get("standby")))
    return out


def unpack_rsc_tickets(block: Element | None, resources: Mapping[str, Resource],
                       ids: Mapping[str, Element], stonith: bool) -> list[TicketDep]:
    """rsc_ticket constraints (plain or with resource sets) naming configured resources."""
    out: list[TicketDep] = []
    for el in (block if block is not None else []):
        if el.tag != "rsc_ticket" or not el.get("ticket"):
            continue
        targets: list[tuple[str | None, str | None]] = []
        if el.get("rsc") is not None:
            targets.append((el.get("rsc"), el.get("rsc-role")))
        for rset in el.findall("resource_set"):
            if rset.get("id-ref") in ids:
                rset = ids[rset.get("id-ref")]
            targets.extend((ref.get("id"), rset.get("role"))
                           for ref in rset.findall("resource_ref"))
        for rid, role_text in targets:
            role = parse_role(role_text)
            if rid in resources:
                out.append(TicketDep(el.get("id", ""), el.get("ticket"),
                                     resources[str(rid)].id, role,
                                     loss_policy(el.get("loss-policy"), role, stonith)))
    return out


def loss_policy(text: str | None, role: Role | None, stonith: bool) -> str:
    """The loss-policy in effect: by default demote for a Promoted dependency and stop
    otherwise; fence needs fencing enabled, and anything unknown is stop."""
    policy = (text or ("demote" if role == Role.PROMOTED else "stop")).lower()
    if policy not in LOSS_POLICIES or (policy == "fence" and not stonith):
        return "stop"
    return policy


def ticket_effects(deps: list[TicketDep], tickets: Mapping[str, TicketState],
                   nodes: Mapping[str, Node], resources: Mapping[str, Resource],
                   states: Mapping[str, PrimitiveState]) -> TicketEffects:
    locations: list[Location] = []
    fence: dict[str, str] = {}
    frozen: set[str] = set()
    for dep in deps:
        state = tickets.get(dep.ticket, TicketState(False, False))
        if state.granted and not state.standby:
            continue
        promoted_only = dep.role == Role.PROMOTED
        if promoted_only and resources[dep.rsc].promotable:
            locations.extend(Location(dep.id, dep.rsc, n, -INFINITY, Role.PROMOTED)
                             for n in nodes)
        for prim in primitives(resources, dep.rsc):
            current = states.get(prim)
            running = current.running_on if current is not None else ()
            if not state.granted and running:
                effect = loss_effect(dep, current)
            elif not promoted_only or dep.loss_policy == "stop":
                effect = "ban"
            else:
                effect = ""
            if effect == "ban" or effect == "fence":
                locations.extend(Location(dep.id, prim, n, -INFINITY, None) for n in nodes)
            if effect == "fence":
                for node in running:
                    fence.setdefault(node, FENCE_REASON)
            elif effect == "freeze":
                frozen.add(prim)
    return TicketEffects(tuple(locations), fence, frozenset(frozen))


def loss_effect(dep: TicketDep, current: PrimitiveState | None) -> str:
    """What losing the ticket does to an active primitive: ban, fence, freeze or nothing
    (a Promoted dependency with loss-policy=demote only loses its promotion). fence and
    freeze apply only to a primitive in the constraint's role, when it names one."""
    in_role = dep.role is None or (current is not None and current.role == dep.role)
    if dep.loss_policy == "stop":
        return "ban"
    if dep.loss_policy == "demote":
        return "" if dep.role == Role.PROMOTED else "ban"
    if not in_role:
        return ""
    return dep.loss_policy


def primitives(resources: Mapping[str, Resource], rid: str) -> list[str]:
    rsc = resources[rid]
    if rsc.kind == "primitive":
        return [rid]
    return [p for child in rsc.children for p in primitives(resources, child)]


def fence_lost(nodes: dict[str, Node], fence: dict[str, str], lost: Mapping[str, str]) -> None:
    """Nodes fenced for a lost ticket are unclean from now on (an earlier reason stays)."""
    for node, reason in sorted(lost.items()):
        if node in nodes:
            nodes[node] = replace(nodes[node], unclean=True)
            fence.setdefault(node, reason)

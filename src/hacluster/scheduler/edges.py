"""Edges between actions and the flags they carry (Pacemaker's ordering types): the
vocabulary ordering.py builds edges with and propagation.py follows.

Owns the Edge value, the flag names and the naming of an action in a reason. Must never
decide anything or do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from hacluster.scheduler.actions import Action

THEN_RUNNABLE = "runnable_left"
IMPLIES_THEN = "implies_then"
IMPLIES_FIRST = "implies_first"
RESTART = "restart"
ONE_OR_MORE = "one_or_more"
ASYMMETRICAL = "asymmetrical"  # then is required only by a first that can also run
# clone -> clone without interleave: a first clone that starts any new instance counts as
# changed for what follows it (observed of Pacemaker 2.1.5: its instances restart), even
# though a clone that merely grows requires nothing of other resources.
CLONE_GROWS = "clone_grows"
# The inverse of a mandatory symmetrical order between stops: a stop that cannot run
# (a blocked resource's) keeps the stop after it from running too (observed of Pacemaker
# 2.1.5: "Stop X blocked" when X must stop after a resource whose stop failed).
STOP_AFTER_STOP = "stop_after_stop"
COLLECTIVE_DONE = MappingProxyType({"start": "running", "stop": "stopped", "promote": "promoted",
                   "demote": "demoted"})
INVERSE = MappingProxyType({"start": "stop", "stop": "start", "promote": "demote", "demote": "promote",
           "running": "stopped", "stopped": "running", "promoted": "demoted",
           "demoted": "promoted"})


@dataclass(frozen=True, slots=True)
class Edge:
    first: tuple[str | None, str, str | None]
    then: tuple[str | None, str, str | None]
    flags: frozenset[str]
    reason: bool = False


def link(edges: list[Edge], firsts: list[Action], thens: list[Action], flags: set[str],
         reason: bool = False) -> None:
    frozen = frozenset(flags)
    for f in firsts:
        for t in thens:
            if f is not t:
                edges.append(Edge(f.key, t.key, frozen, reason))


def action_name(action: Action) -> str:
    if action.task == "one-or-more":
        return str(action.rsc)
    return f"{action.rsc} {action.task}"

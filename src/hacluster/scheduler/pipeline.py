"""The pipeline: the scheduler's stages in order, each a pure function returning a new
frozen value that no later stage changes (Pacemaker's pcmk__schedule_actions, without its
"finalized at different points" state).

    assign        model -> Assignment (scores.py tables, placement.py, clones.py)
    actions       model, Assignment -> Actions (start/stop/promote/demote, fencing)
    unfencing     Actions -> Actions (Fence (on) before probes/starts that require it)
    ordering      Actions -> Ordered (edges; mandatory/unrunnable derived on a copy)
    probes        Ordered -> GraphOnly (monitor_0 where the state is unknown)
    cleanup       Ordered -> GraphOnly (delete of stale histories)
    notifications Ordered -> GraphOnly (pre/post notify of notify=true clones)
    recurring     Ordered -> GraphOnly (monitors with an interval, cancels; recurring.py)
    graph         all of the above -> Transition (synapses, summary, scores)

Owns running them once; `schedule_model` and explain both use `run_pipeline`, so an
explanation rests on the very run that decided. Must never do I/O or read the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacluster.scheduler.actions import create_actions
from hacluster.scheduler.assign import Assignment, assign_work, assignment_of
from hacluster.scheduler.cleanup import create_deletes
from hacluster.scheduler.graph import GraphOnly, Transition, build_transition
from hacluster.scheduler.model import ClusterModel
from hacluster.scheduler.notifications import create_notifies
from hacluster.scheduler.ordering import Ordered, order_actions
from hacluster.scheduler.probes import create_probes
from hacluster.scheduler.recurring import create_recurring
from hacluster.scheduler.scores import Work
from hacluster.scheduler.unfencing import unfence


@dataclass(frozen=True, slots=True)
class Run:
    """Every stage's result of one run. `work` is placement's scratch, kept read-only for
    explain (the scores it recorded, as data)."""

    model: ClusterModel
    work: Work
    assignment: Assignment
    ordered: Ordered
    graph_only: tuple[GraphOnly, ...]
    transition: Transition


def run_pipeline(model: ClusterModel) -> Run:
    work = assign_work(model)
    assignment = assignment_of(work)
    created, unfence_edges = unfence(model, assignment, create_actions(model, assignment))
    ordered = order_actions(model, assignment, created)
    graph_only = (GraphOnly((), unfence_edges),
                  GraphOnly(*create_probes(model, assignment, ordered)),
                  GraphOnly(*create_deletes(model, ordered.actions)),
                  GraphOnly(*create_notifies(model, assignment, ordered.actions)),
                  GraphOnly(*create_recurring(model, assignment, ordered.actions)))
    transition = build_transition(model, assignment, ordered, graph_only)
    return Run(model, work, assignment, ordered, graph_only, transition)

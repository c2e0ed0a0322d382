"""The scheduler: `schedule(cib_root, now_s) -> Transition`, a pipeline of pure stages.

unpack (CIB -> ClusterModel) -> assign (Assignment: scores.py tables, placement.py for
primitives and groups, clones.py for instances and promotion) -> actions (Plan) -> ordering
(edges + mandatory/unrunnable propagation) -> graph (Transition + summary text).
Must never do I/O or read the clock: `now_s` (wall-clock seconds) is always passed in.
"""

from __future__ import annotations

from typing import Any

from hacluster.scheduler.assign import Assignment, assign
from hacluster.scheduler.explain import Explanation, explain, rule_constraints_of
from hacluster.scheduler.graph import GraphAction, Synapse, Transition
from hacluster.scheduler.history import op_digest
from hacluster.scheduler.model import ClusterModel, Node, PrimitiveState, Resource, Role
from hacluster.scheduler.pipeline import Run, run_pipeline
from hacluster.scheduler.policy import is_managed
from hacluster.scheduler.rules import parse_iso_s
from hacluster.scheduler.unpack import params_on_node, unpack


def schedule(cib_root: Any, now_s: int) -> Transition:
    """Decide the transition for one CIB (an lxml root element) at time `now_s`."""
    return schedule_model(unpack(cib_root, now_s))


def schedule_model(model: ClusterModel) -> Transition:
    """The stages after unpack, for a caller that also needs the model (crm_simulate's
    status view) and must not unpack the same CIB twice."""
    return run_pipeline(model).transition


__all__ = [
    "Assignment",
    "ClusterModel",
    "Explanation",
    "GraphAction",
    "Node",
    "PrimitiveState",
    "Resource",
    "Role",
    "Run",
    "Synapse",
    "Transition",
    "assign",
    "explain",
    "is_managed",
    "op_digest",
    "params_on_node",
    "parse_iso_s",
    "rule_constraints_of",
    "run_pipeline",
    "schedule",
    "schedule_model",
    "unpack",
]

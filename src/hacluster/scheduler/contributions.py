"""Contributions: a primitive's node scores taken apart step by step, by replaying
placement's own score functions in scores_for's order (location_scores, primitive_scores,
colocation_effect per colocation) on the finished run, and labelling each step's delta.

Owns the "score on node1 = 150: location pref-node1 +50, resource-stickiness +100" lines
of explain.py. Must never compute a score any other way: what the replay cannot see
(the influence of dependents, decided while they were still unassigned) is reported as
the remainder against the score the run recorded, never re-derived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hacluster.common import INFINITY
from hacluster.scheduler.model import Role
from hacluster.scheduler.policy import next_role_stopped
from hacluster.scheduler.scores import (
    Work,
    colocated_or_rolled_back,
    location_scores,
    primitive_scores,
)
from hacluster.scheduler.tables import whole_group


@dataclass(frozen=True, slots=True)
class Step:
    """One labelled step of a primitive's score on one node."""

    label: str
    delta: int


def fmt_delta(delta: int) -> str:
    if delta >= INFINITY:
        return "+INFINITY"
    if delta <= -INFINITY:
        return "-INFINITY"
    return f"{delta:+d}"


def delta_of(before: int, after: int) -> int:
    """What a step added; a step that reaches +-INFINITY is that INFINITY."""
    if after in (INFINITY, -INFINITY) and before != after:
        return after
    return after - before


def score_steps(work: Work, rid: str) -> tuple[dict[str, list[Step]], dict[str, int]]:
    """Per node: the labelled steps of scores_for(rid) for a top-level primitive, and
    the replayed total (before the influence of resources colocated with it)."""
    model = work.model
    steps: dict[str, list[Step]] = {n: [] for n in model.nodes}
    base = location_scores(work, rid)
    for loc in model.locations:
        if loc.rsc == rid and loc.role not in (Role.PROMOTED, Role.UNPROMOTED) \
                and loc.node in steps:
            steps[loc.node].append(Step(f"location {loc.id}", loc.score))
    own = primitive_scores(work, rid)
    state = model.states.get(rid)
    banned = state.banned_nodes if state else frozenset()
    for node in banned:
        record_deltas(steps, {node: base.get(node, 0)}, {node: own[node]},
                      "banned after failures (migration-threshold or a hard error)")
    record_deltas(steps, base, {n: v for n, v in own.items() if n not in banned},
                  "resource-stickiness")
    scores = own
    for c in work.with_of.get(rid, ()):
        after = colocated_or_rolled_back(work, scores, c, whole_group(work, c))
        record_deltas(steps, scores, after, f"colocation {c.id} with {c.primary}")
        scores = after
    if next_role_stopped(model, rid):
        after = {n: -INFINITY for n in scores}
        record_deltas(steps, scores, after, "next role Stopped (target-role or on-fail=stop)")
        scores = after
    return steps, scores


def record_deltas(steps: dict[str, list[Step]], before: Mapping[str, int],
                  after: Mapping[str, int], label: str) -> None:
    for node, value in after.items():
        if node not in steps:
            continue
        delta = delta_of(before.get(node, 0), value)
        if delta:
            steps[node].append(Step(label, delta))


def breakdown_lines(work: Work, rid: str, recorded: Mapping[str, int],
                    nodes: list[str]) -> list[str]:
    """`node = score: step +n, ...` for the deciding nodes of a top-level primitive."""
    steps, replayed = score_steps(work, rid)
    out: list[str] = []
    for node in nodes:
        if node not in recorded or node not in steps:
            continue
        parts = [f"{s.label} {fmt_delta(s.delta)}" for s in steps[node]]
        rest = delta_of(replayed.get(node, 0), recorded[node])
        if rest:
            parts.append(f"resources colocated with it {fmt_delta(rest)}")
        total = recorded[node]
        text = "INFINITY" if total >= INFINITY else "-INFINITY" if total <= -INFINITY \
            else str(total)
        out.append(f"{node} = {text}: {', '.join(parts) or 'no preference (0)'}")
    return out

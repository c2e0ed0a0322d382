"""Explain: why one resource is where it is (or stopped), in plain operator words.

Owns turning the scheduler's own run (the placement Work of `assign_work`, the model, the
transition) into sentences: node scores and the contributions behind them (location
constraints and rules, stickiness, colocations, failures, node states, target-role,
is-managed, blocked stops, unrunnable orders, utilization). Must never score anything
itself: every number comes from placement's functions or the run's recorded scores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hacluster.common import INFINITY, Code, HaError, is_true, parse_boolean
from hacluster.scheduler.contributions import breakdown_lines
from hacluster.scheduler.graph import Transition
from hacluster.scheduler.model import ClusterModel, Node, Role
from hacluster.scheduler.pipeline import run_pipeline
from hacluster.scheduler.policy import (
    ancestors,
    blocked_from_running,
    is_managed,
    target_role,
)
from hacluster.scheduler.scores import (
    Work,
    is_symmetric,
    nodes_of,
    promotion_of,
    stickiness,
    table_of,
)
from hacluster.scheduler.unpack_time import int_or_zero


@dataclass(frozen=True, slots=True)
class Explanation:
    """The explanation of one resource: plain lines, first the verdict."""

    rsc: str
    lines: tuple[str, ...]
    transition: Transition

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class Run:
    """One run of the scheduler's own pipeline (pipeline.run_pipeline, the same that
    decides), with what explaining needs beside it."""

    model: ClusterModel
    work: Work
    transition: Transition
    rule_constraints: frozenset[tuple[str, str]]


def run_scheduler(model: ClusterModel,
                  rule_constraints: frozenset[tuple[str, str]] = frozenset()) -> Run:
    """The pipeline, run once; placement's recorded scores are read from its Work."""
    run = run_pipeline(model)
    return Run(model, run.work, run.transition, rule_constraints)


def explain(model: ClusterModel, rsc: str,
            rule_constraints: frozenset[tuple[str, str]] = frozenset()) -> Explanation:
    """Explain `rsc` (a primitive, group, clone, clone instance or a clone's primitive
    base id). `rule_constraints`: (id, rsc) of rsc_location constraints with rules
    (rule_constraints_of), so a rule that matched no node can be named."""
    targets = resolve(model, rsc)
    run = run_scheduler(model, rule_constraints)
    lines: list[str] = []
    kind = model.resources[targets[0]].kind if targets == (rsc,) else "clone"
    if kind != "primitive" and targets == (rsc,):
        lines += explain_collective(run, rsc)
        for member in model.resources[rsc].children:
            for prim in model.primitives(member):
                lines += ["", *explain_primitive(run, prim, below=rsc)]
    else:
        for i, prim in enumerate(targets):
            lines += ([""] if i else []) + explain_primitive(run, prim)
    return Explanation(rsc, tuple(lines), run.transition)


def rule_constraints_of(cib_root: Any) -> frozenset[tuple[str, str]]:
    """(id, rsc) of every rsc_location that places its resource by rules."""
    out = set()
    for el in cib_root.iterfind("configuration/constraints/rsc_location"):
        if el.find("rule") is not None and el.get("id") and el.get("rsc"):
            out.add((el.get("id"), el.get("rsc")))
    return frozenset(out)


def resolve(model: ClusterModel, rsc: str) -> tuple[str, ...]:
    if rsc in model.resources:
        return (rsc,)
    found = tuple(r.id for r in model.resources.values()
                  if r.kind == "primitive" and (r.base == rsc or r.id.split(":")[0] == rsc))
    if not found:
        raise HaError.single(Code.SCHED_UNKNOWN_RESOURCE,
                             f"resource '{rsc}' is not in the CIB", rsc=rsc)
    return found


# ----------------------------------------------------------------------- verdicts


def fmt(score: int) -> str:
    return "INFINITY" if score >= INFINITY else "-INFINITY" if score <= -INFINITY else str(score)


def final_scores(run: Run, rid: str) -> dict[str, int]:
    """The allocation scores the run recorded for `rid` (the last table it printed)."""
    out: dict[str, int] = {}
    for _fn, owner, table in run.work.tables:
        if owner == rid:
            out = dict(table_of(table))
    return out


def score_text(scores: Mapping[str, int], shown_max: int = 8) -> str:
    """node=score pairs; on big clusters the highest ones and a count of the rest."""
    if len(scores) <= shown_max:
        return ", ".join(f"{n}={fmt(s)}" for n, s in scores.items())
    top = sorted(scores, key=lambda n: (-scores[n], n))[:shown_max]
    rest = len(scores) - len(top)
    return ", ".join(f"{n}={fmt(scores[n])}" for n in top) + f" (and {rest} more nodes)"


def deciding_scores(run: Run, rid: str) -> tuple[str, dict[str, int]]:
    """The scores that placed `rid`: its own, else its group's or clone instance's."""
    for holder in (rid, *ancestors(run.model, rid)):
        scores = final_scores(run, holder)
        if scores:
            return holder, scores
    return rid, {}


def summary_for(run: Run, rid: str) -> list[str]:
    pattern = re.compile(rf"(?<![\w:-]){re.escape(rid)}(?![\w:-])")
    return [line.strip() for line in run.transition.summary if pattern.search(line)]


def verdict(run: Run, rid: str) -> str:
    model = run.model
    state = model.states.get(rid)
    now = sorted(state.roles.items()) if state else []
    where = run.work.assigned.get(rid)
    role = run.work.roles.get(rid, Role.STARTED)
    now_text = ", ".join(f"{r.text} on {n}" for n, r in now) or "Stopped"
    if where is None:
        nxt = "stays stopped" if not now else "will be stopped"
    elif [n for n, _ in now] == [where]:
        nxt = f"stays on {where}"
    elif now:
        nxt = f"moves to {where}"
    else:
        nxt = f"starts on {where}"
    if where is not None and role in (Role.PROMOTED, Role.UNPROMOTED):
        nxt += f" as {role.text}"
    if blocked_by(run, rid):
        nxt = f"{nxt.replace('starts on', 'would start on').replace('moves to', 'would move to')}"\
              ", but that is blocked"
    return f"{rid}: now {now_text}; {nxt}"


def blocked_by(run: Run, rid: str) -> str:
    """The summary's reason when the transition cannot do what placement decided."""
    for line in summary_for(run, rid):
        if line.endswith("(blocked)"):
            due = line.rsplit("due to", 1)
            return due[1].removesuffix("(blocked)").strip() if len(due) == 2 else "blocked"
    return ""


def explain_primitive(run: Run, rid: str, below: str | None = None) -> list[str]:
    """`below`: a collective already explained above, whose own constraints and the
    node states are not repeated for each member."""
    model = run.model
    rsc = model.resources[rid]
    chain = [rid, *ancestors(model, rid)]
    member = f" (in {', '.join(chain[1:])})" if len(chain) > 1 else ""
    lines = [verdict(run, rid) + member]
    holder, scores = deciding_scores(run, rid)
    if scores:
        label = "scores" if holder == rid else f"scores of {holder}"
        lines.append(f"  {label}: {score_text(scores)}")
    promotion = promotion_scores(run, rid, chain)
    if promotion:
        lines.append("  promotion scores: " + promotion)
    blocked = blocked_by(run, rid)
    lines.append(f"  why: {'blocked: ' + blocked if blocked else headline(run, rid, scores)}")
    if holder == rid and rsc.parent is None and scores:
        lines += [f"  score on {line}" for line in
                  breakdown_lines(run.work, rid, scores, deciding_nodes(run, rid, scores))]
    own = chain[:chain.index(below)] if below in chain else chain
    reasons = (policy_reasons(run, rid) + ([] if below else node_reasons(model, scores))
               + location_reasons(run, own, chain) + stickiness_reasons(run, rid)
               + failure_reasons(run, rid) + colocation_reasons(run, own)
               + order_reasons(run, rid) + utilization_reasons(run, rid, rsc.utilization))
    lines += [f"  - {r}" for r in reasons]
    actions = summary_for(run, rid)
    lines += [f"  transition: {a}" for a in actions] or ["  transition: nothing to do"]
    return lines


def deciding_nodes(run: Run, rid: str, scores: Mapping[str, int]) -> list[str]:
    """The node it goes to (or runs on now) and the best other node that could run it."""
    model = run.model
    state = model.states.get(rid)
    first = [n for n in (run.work.assigned.get(rid), *(state.running_on if state else ()))
             if n is not None]
    others = sorted((n for n in scores if n not in first and n in model.nodes
                     and model.nodes[n].can_run), key=lambda n: (-scores[n], n))
    return list(dict.fromkeys(first + others[:1]))


def promotion_scores(run: Run, rid: str, chain: list[str]) -> str:
    """The promotion scores the run recorded for the clone instance holding `rid`."""
    for holder in chain:
        found = run.work.promotion.get(holder)
        if found:
            return ", ".join(f"{node}={fmt(promotion_of(holder, score))}"
                             for node, score in found.items())
    return ""


def headline(run: Run, rid: str, scores: Mapping[str, int]) -> str:
    """The deciding reason in one phrase."""
    model = run.model
    where = run.work.assigned.get(rid)
    able = {n: v for n, v in scores.items() if n in model.nodes and model.nodes[n].can_run}
    if where is not None:
        if not is_managed(model, rid):
            return f"unmanaged, so it stays where it is ({where})"
        best = max(able.values(), default=scores.get(where, 0))
        ties = sorted(n for n, v in able.items() if v == best)
        if scores.get(where) == best and len(ties) > 1:
            return (f"{where} ties with {', '.join(n for n in ties if n != where)} at "
                    f"{fmt(best)}; the tie goes to the current node, then the least loaded")
        if scores.get(where) == best:
            return f"{where} has the highest score ({fmt(best)})"
        return f"{where}: the higher-scored nodes had no room or were taken"
    state = model.states.get(rid)
    lost = [n for n in (state.running_on if state else ()) if n in model.nodes
            and not model.nodes[n].can_run and node_words(model.nodes[n])]
    if lost:
        return f"{lost[0]} cannot run resources ({'/'.join(node_words(model.nodes[lost[0]]))})"
    if policy_reasons(run, rid):
        return policy_reasons(run, rid)[0]
    if not any(node.can_run for node in model.nodes.values()):
        return "no node can run resources"
    if not able or all(v < 0 for v in able.values()):
        return "no node that can run resources scores 0 or more"
    return "every allowed node lacked capacity or was taken by other instances"


def explain_collective(run: Run, rid: str) -> list[str]:
    model = run.model
    rsc = model.resources[rid]
    lines: list[str] = []
    if rsc.kind == "clone":
        placed = sorted({n for i in rsc.children for p in model.primitives(i)
                         if (n := run.work.assigned.get(p))})
        extra = f", promoted-max {rsc.promoted_max}" if rsc.promotable else ""
        lines.append(f"{rid}: clone of {len(rsc.children)} instances (clone-max "
                     f"{rsc.clone_max}, clone-node-max {rsc.clone_node_max}{extra}); "
                     f"runs on {', '.join(placed) or 'no node'}")
    else:
        where = run.work.assigned.get(rid)
        lines.append(f"{rid}: group of {', '.join(rsc.children)}; "
                     f"{'placed on ' + where if where else 'stopped'} (members follow the "
                     "group in order: a member that cannot run stops the rest)")
    _, scores = deciding_scores(run, rid)
    if scores:
        lines.append(f"  scores: {score_text(scores)}")
    reasons = (node_reasons(model, scores) + location_reasons(run, [rid, *ancestors(model, rid)])
               + colocation_reasons(run, [rid]))
    lines += [f"  - {r}" for r in reasons]
    return lines


# ----------------------------------------------------------------------- reasons


def policy_reasons(run: Run, rid: str) -> list[str]:
    model = run.model
    out: list[str] = []
    if is_true(model.prop("stop-all-resources", "false")):
        out.append("Stopped: stop-all-resources=true")
    elif target_role(model, rid) == Role.STOPPED:
        owner = next((r for r in (rid, *ancestors(model, rid))
                      if "target-role" in model.resources[r].meta), None)
        where = f" (set on {owner})" if owner and owner != rid else ""
        out.append(f"Stopped: target-role=Stopped{where}")
    elif blocked_from_running(model, rid):
        out.append("kept stopped: on-fail=stop, multiple-active=stop_only or shutdown-lock")
    if not is_managed(model, rid):
        out.append(f"unmanaged ({unmanaged_why(model, rid)}): the cluster leaves it as it is")
    policy = model.prop("no-quorum-policy", "stop")
    if not model.have_quorum and policy != "ignore":
        effect = {"stop": "every resource stops and nothing may start",
                  "freeze": "running resources stay, nothing may start"}.get(
                      policy, "nothing may start")
        out.append(f"the partition has no quorum (no-quorum-policy={policy}): {effect}")
    state = model.states.get(rid)
    if state and state.stop_failed_nodes:
        nodes = ", ".join(sorted(state.stop_failed_nodes))
        out.append(f"blocked: a stop failed on {nodes}; it can only move after fencing "
                   "or a cleanup")
    if rid in model.resources and model.resources[rid].orphan:
        out.append("orphan: no longer configured, so it is stopped")
    return out


def unmanaged_why(model: ClusterModel, rid: str) -> str:
    if is_true(model.prop("maintenance-mode", "false")):
        return "maintenance-mode=true"
    if model.startup_disabled():
        return "stonith-enabled=true but no fencing device is configured"
    if parse_boolean(model.meta(rid, "is-managed", "true")) is False:
        return "is-managed=false"
    if is_true(model.meta(rid, "maintenance", "false")):
        return "maintenance=true"
    state = model.states.get(rid)
    if state and any(model.nodes[n].maintenance for n in state.running_on if n in model.nodes):
        return "its node is in maintenance"
    return "on-fail=block or multiple-active=block"


def node_words(node: Node) -> list[str]:
    words = [w for w, on in (("offline", not node.online), ("unclean", node.unclean),
                             ("standby", node.standby), ("maintenance", node.maintenance),
                             ("shutting down", node.shutdown), ("pending", node.pending))
             if on]
    return words


def node_reasons(model: ClusterModel, scores: Mapping[str, int]) -> list[str]:
    down = [f"{name} ({'/'.join(node_words(node))})" for name, node in model.nodes.items()
            if not node.can_run and node_words(node)]
    return [f"cannot run resources: {', '.join(down)}"] if down else []


def location_reasons(run: Run, chain: list[str], whole: list[str] | None = None) -> list[str]:
    """Constraints on `chain`; `whole` (default `chain`) is what symmetric-cluster=false
    opt-ins are looked for on (a member's collective may opt it in)."""
    model = run.model
    out: list[str] = []
    positive = False
    matched: set[str] = set()
    rule_ids = {cid for cid, _ in run.rule_constraints}
    grouped: dict[tuple[str, str, int, str], list[str]] = {}
    for loc in model.locations:
        if loc.rsc not in chain:
            continue
        matched.add(loc.id)
        positive = positive or loc.score > 0
        role = f" in role {loc.role.text}" if loc.role else ""
        grouped.setdefault((loc.id, loc.rsc, loc.score, role), []).append(loc.node)
    for (cid, target, score, role), nodes in grouped.items():
        subject = "" if target == chain[0] else f" (on {target})"
        via = "rule of location constraint" if cid in rule_ids else "location constraint"
        verb = "banned from" if score <= -INFINITY else "avoids" if score < 0 else "prefers"
        out.append(f"{verb} {', '.join(nodes)}{role} by {via} {cid} ({fmt(score)}){subject}")
    for cid, target in sorted(run.rule_constraints):
        if target in chain and cid not in matched:
            out.append(f"location constraint {cid}: its rule matched no node")
    if whole is not None:
        positive = any(loc.score > 0 for loc in model.locations if loc.rsc in whole)
    if not is_symmetric(model) and not positive:
        out.append("no node allows it: symmetric-cluster is false and no location "
                   "constraint gives a positive score")
    return out


def stickiness_reasons(run: Run, rid: str) -> list[str]:
    model = run.model
    state = model.states.get(rid)
    stick = stickiness(model, rid)
    if not state or not state.running_on or not stick:
        return []
    where = run.work.assigned.get(rid)
    out = []
    for node in state.running_on:
        if node == where:
            out.append(f"stays on {node}: resource-stickiness {stick}")
        else:
            out.append(f"resource-stickiness {stick} on {node} (its current node) was not "
                       "enough to keep it there")
    return out


def failure_reasons(run: Run, rid: str) -> list[str]:
    model = run.model
    state = model.states.get(rid)
    if not state:
        return []
    threshold = int_or_zero(model.meta(rid, "migration-threshold", str(INFINITY)))
    timeout = model.meta(rid, "failure-timeout", "0")
    out = []
    for node, count in sorted(state.fail_counts.items()):
        if 0 < threshold <= count:
            text = f"fail-count {fmt(count)} reached migration-threshold {fmt(threshold)} " \
                   f"on {node}: banned there"
        else:
            limit = fmt(threshold) if threshold > 0 else "none"
            text = f"fail-count {fmt(count)} on {node} (migration-threshold {limit})"
        if timeout not in ("0", ""):
            text += f"; failures expire after failure-timeout {timeout}"
        out.append(text)
    for node in sorted(state.banned_nodes - set(state.fail_counts)):
        out.append(f"banned from {node}: an operation there failed with a hard error "
                   "(not installed, not configured or fatal)")
    for node in sorted(state.failed_nodes):
        out.append(f"failed on {node} (on-fail={state.on_fail.get(node, 'restart')})")
    return out


def colocation_reasons(run: Run, chain: list[str]) -> list[str]:
    out: list[str] = []
    for c in run.model.colocations:
        if c.dependent in chain:
            where = nodes_of(run.work, c.primary, c.primary_role, c.score >= INFINITY)
            role = f" ({c.primary_role.text})" if c.primary_role else ""
            place = ("not placed yet" if where is None else
                     f"on {', '.join(sorted(where))}" if where else "not running anywhere")
            effect = (" so it cannot run anywhere" if not where and c.score >= INFINITY
                      else "")
            out.append(f"colocated with {c.primary}{role} ({c.id}, {fmt(c.score)}): "
                       f"{c.primary} is {place}{effect}")
        elif c.primary in chain:
            out.append(f"{c.dependent} is colocated with it ({c.id}, {fmt(c.score)})")
    return out


def order_reasons(run: Run, rid: str) -> list[str]:
    out: list[str] = []
    for syn in run.transition.synapses:
        a = syn.action
        if a.rsc == rid and not a.runnable:
            why = f": {a.reason}" if a.reason else ""
            out.append(f"{a.task} on {a.node or 'any node'} is unrunnable{why}")
    chain = [rid, *ancestors(run.model, rid)]
    for order in run.model.orders:
        if order.then not in chain or order.kind != "Mandatory":
            continue
        where = nodes_of(run.work, order.first, None)
        if where is not None and not where:
            out.append(f"unrunnable: mandatory order {order.id} ({order.first} "
                       f"{order.first_action} then {order.then} {order.then_action}): "
                       f"{order.first} cannot {order.first_action}")
    return out


def utilization_reasons(run: Run, rid: str, need: Mapping[str, int]) -> list[str]:
    model = run.model
    strategy = model.prop("placement-strategy", "default")
    if strategy == "default" or not any(v > 0 for v in need.values()):
        return []
    where = run.work.assigned.get(rid)
    out = []
    for name, node in model.nodes.items():
        if name == where or not node.can_run:
            continue
        used = run.work.used[name]
        free = {k: node.utilization.get(k, 0) - used.get(k, 0) for k in need}
        short = [k for k, v in need.items() if v > 0 and free[k] < v]
        if short:
            wants = ", ".join(f"{k}={need[k]}" for k in short)
            has = ", ".join(f"{k}={free[k]}" for k in short)
            out.append(f"not enough capacity on {name}: needs {wants}, free {has} "
                       f"(placement-strategy={strategy})")
    return out

"""Clone instance assignment (clone-max, clone-node-max, current instances first) and
promotion of promotable clone instances (promoted-max, promoted-node-max, scores).

Owns Pacemaker Explained's "Clones" and "Promotable clones" placement semantics. Must
never create actions or do I/O; it only fills the placement Work of one run.
"""

from __future__ import annotations

from hacluster.common import INFINITY, add_scores
from hacluster.scheduler.model import ClusterModel, Role
from hacluster.scheduler.placement import (
    choose_node,
    choose_with_colocated,
    colocated_util,
    group_util,
    own_scores,
    record,
    scores_for,
)
from hacluster.scheduler.policy import blocked_from_running, target_role, unmanaged_node
from hacluster.scheduler.scores import (
    LazyTable,
    Work,
    colocation_effect,
    log_lazy,
    log_promotion,
    nodes_of,
    primitive_scores,
)
from hacluster.scheduler.tables import (
    adjusted,
    instance_adjust,
    instance_table,
    member_table,
    promotion_preference,
    promotion_score,
    show_tables,
)


def instance_scores(work: Work, inst: str, base: dict[str, int]) -> dict[str, int]:
    """Clone-level scores plus the instance's own stickiness and bans; a promotable
    instance also prefers the nodes where it would be promoted."""
    scores = dict(base)
    for prim in work.model.primitives(inst):
        own = primitive_scores(work, prim, False)
        for node, value in own.items():
            if node in scores:
                scores[node] = add_scores(scores[node], value)
        # Locations on the instance itself (a lost ticket bans every instance).
        for node, value, role in work.loc_of.get(prim, ()):
            if role is None and node in scores:
                scores[node] = add_scores(scores[node], value)
    for node, preference in promotion_preference(work, inst, base).items():
        if node in scores:
            scores[node] = add_scores(scores[node], preference)
    return scores


def stickiness_here(work: Work, inst: str, node: str) -> int:
    total = 0
    for prim in work.model.primitives(inst):
        total = add_scores(total, primitive_scores(work, prim, False).get(node, 0))
    return total


def current_node(work: Work, inst: str) -> str | None:
    for prim in work.model.primitives(inst):
        state = work.model.states.get(prim)
        if state and state.running_on:
            node = state.running_on[0]
            # A failed instance is recovered in place unless its node lost it for good.
            if node in state.failed_nodes and (node in state.banned_nodes
                                              or state.on_fail.get(node) not in (None, "restart")):
                return None
            return node
    return None


def assign_clone(work: Work, rid: str) -> None:
    model = work.model
    clone = model.resources[rid]
    scores = scores_for(work, rid)
    printed = LazyTable(lambda: scores_for(work, rid, decide=False))
    show_tables(work, "pcmk__clone_allocate", rid, printed)
    per_node: dict[str, int] = {}
    count = 0
    done: set[str] = set()
    instances = [i for i in clone.children if not model.resources[i].orphan]
    prims = model.primitives(instances[0]) if instances else ()
    stopped_all = not prims or blocked_from_running(model, prims[0])
    for inst in clone.children:
        frozen, here = unmanaged_node(model, model.primitives(inst)[0]) if \
            model.primitives(inst) else (False, None)
        if frozen or model.resources[inst].orphan:
            place_instance(work, inst, here if frozen else None)
            done.add(inst)
            if frozen and here:
                per_node[here] = per_node.get(here, 0) + 1
                count += 1
    available = [n for n, v in scores.items() if v >= 0 and model.nodes[n].can_run]
    # First pass: keep instances where they run, but no more than a fair share per node.
    loop_max = max(1, clone.clone_max // len(available)) if available else 1
    if not stopped_all:
        for inst in instances:
            node = current_node(work, inst)
            if inst in done or node is None or count >= clone.clone_max:
                continue
            iscores = instance_scores(work, inst, scores)
            if per_node.get(node, 0) >= min(clone.clone_node_max, loop_max) \
                    or iscores.get(node, -1) < 0:
                continue
            # Nodes other instances already run on are theirs to keep, not alternatives.
            # The instance's own table decides (its stickiness, and for a promotable
            # clone where it would be promoted): a better node elsewhere undoes keeping.
            taken = {current_node(work, i) for i in instances if i != inst}
            best = max((v for n, v in iscores.items() if model.nodes[n].can_run and n != node
                        and per_node.get(n, 0) < clone.clone_node_max and n not in taken),
                       default=-1)
            if iscores.get(node, 0) < best:
                continue
            if choose_node(work, iscores, (node,), util_of(work, inst), {node}) is None:
                continue
            log_turn(work, rid, inst, printed, per_node, False)
            place_instance(work, inst, node)
            per_node[node] = per_node.get(node, 0) + 1
            count += 1
            done.add(inst)
    def order(inst: str) -> tuple[bool, bool, tuple[int, ...]]:
        # Instances active on a node that is gone (e.g. being fenced) choose before the
        # others; then instances that prefer some node more (e.g. to be promoted
        # there) choose first; equal best scores compare the next best, and so on.
        ranked = sorted((v for n, v in instance_scores(work, inst, scores).items()
                         if model.nodes[n].can_run), reverse=True)
        return (displaced_online(work, inst, scores), not on_lost_node(work, inst),
                tuple(-v for v in ranked))

    for inst in sorted(instances, key=order):
        if inst in done:
            continue
        node = None
        if count < clone.clone_max and not stopped_all:
            iscores = instance_scores(work, inst, scores)
            allowed = {n for n in model.nodes if per_node.get(n, 0) < clone.clone_node_max}
            own = util_of(work, inst)
            need = colocated_util(work, rid, dict(own), {rid, inst})
            node = choose_with_colocated(work, iscores, (), need, own, allowed)
        if not stopped_all:
            log_turn(work, rid, inst, printed, per_node, count >= clone.clone_max)
        place_instance(work, inst, node)
        if node is not None:
            per_node[node] = per_node.get(node, 0) + 1
            count += 1
    work.assigned[rid] = None
    if clone.promotable:
        promote(work, rid, printed)


def log_turn(work: Work, clone: str, inst: str, printed: LazyTable,
             per_node: dict[str, int], limit_reached: bool) -> None:
    """The scores of an instance when its turn comes, as Pacemaker prints them (computed
    when read, from a copy of the per-node counts of this moment)."""
    model = work.model
    counts = dict(per_node)
    clone_max = model.resources[clone].clone_max

    def adjust() -> dict[str, int]:
        return instance_adjust(work, clone, printed.get(), counts, limit_reached)

    def all_coloc() -> bool:
        return clone_max < sum(1 for n in printed.get() if model.nodes[n].can_run)

    if model.resources[inst].kind == "primitive":
        log_lazy(work, "pcmk__primitive_assign", inst,
                 lambda: instance_table(work, clone, inst, adjust(), all_coloc()))
        return
    show_tables(work, "pcmk__group_assign", inst, None, adjust())
    for at, member in enumerate(model.resources[inst].children):
        log_lazy(work, "pcmk__primitive_assign", member,
                 lambda at=at: adjusted(member_table(work, inst, at), adjust()))  # type: ignore[misc]


def displaced_online(work: Work, inst: str, base: dict[str, int]) -> bool:
    """An instance banned from a node which is still up goes last: it stops there while
    free instance numbers start elsewhere (unlike one whose node is being fenced)."""
    node = next((st.running_on[0] for p in work.model.primitives(inst)
                 if (st := work.model.states.get(p)) is not None and st.running_on), None)
    if node is None or not work.model.nodes[node].online or work.model.nodes[node].unclean:
        return False
    return instance_scores(work, inst, base).get(node, -1) < 0


def on_lost_node(work: Work, inst: str) -> bool:
    """Active on a node that is gone or being fenced: it moves, keeping its number."""
    node = current_node(work, inst)
    nodes = work.model.nodes
    return node is not None and (node not in nodes or not nodes[node].online
                                 or nodes[node].unclean)


def util_of(work: Work, inst: str) -> dict[str, int]:
    return group_util(work.model, inst)


def place_instance(work: Work, inst: str, node: str | None) -> None:
    model = work.model
    rsc = model.resources[inst]
    if rsc.kind == "primitive":
        record(work, inst, node, rsc.utilization if node else {})
        return
    work.assigned[inst] = node
    ok = node is not None
    for m in rsc.children:
        own = primitive_scores(work, m)
        ok = ok and own.get(node or "", 0) >= 0 and not blocked_from_running(model, m)
        record(work, m, node if ok else None, model.resources[m].utilization if ok else {})


def promote(work: Work, rid: str, printed: LazyTable) -> None:
    """Pick promoted instances: highest promotion score first, within the limits."""
    model = work.model
    clone = model.resources[rid]
    candidates: list[tuple[int, int, str, str]] = []
    promoted_now: set[str] = set()
    for idx, inst in enumerate(clone.children):
        node = work.assigned.get(inst)
        prims = model.primitives(inst)
        for p in prims:
            if work.assigned.get(p) is not None:
                work.roles[p] = Role.UNPROMOTED
        if node is None or not prims or work.assigned.get(prims[0]) is None:
            log_promotion(work, inst, "none", 0)  # an instance placed nowhere
            continue
        score = promotion_score(work, inst, node)
        score = add_scores(score, role_location(work, rid, node))
        if any(model.states.get(p) and model.states[p].on_fail.get(node) == "demote"
               for p in prims):
            score = -INFINITY  # on-fail=demote: this instance may not stay promoted
        cur = model.states.get(prims[0])
        if cur and cur.roles.get(node) == Role.PROMOTED:
            promoted_now.add(inst)
        elif not may_promote_without_quorum(model, prims[0]):
            score = -INFINITY  # without quorum (freeze/stop) nothing new gets promoted
        candidates.append((score, idx, inst, node))
    raw = candidates
    candidates = apply_role_colocations(work, rid, candidates)
    shown = list(candidates)
    totals = LazyTable(lambda: {inst: score for score, inst, _node
                                in node_totals(printed.get(), raw, shown)})
    for _score, _idx, inst, node in raw:
        log_promotion(work, inst, node, totals)
    # Equal scores: the instance that is promoted now stays promoted, then instance order.
    candidates.sort(key=lambda c: (-c[0], c[2] not in promoted_now, c[1]))
    limit = clone.promoted_max
    if target_role(model, rid) in (Role.UNPROMOTED, Role.STARTED) and \
            model.meta(rid, "target-role", "") .lower() in ("unpromoted", "slave"):
        limit = 0
    per_node: dict[str, int] = {}
    chosen = 0
    for score, _idx, inst, node in candidates:
        if chosen >= limit or score < 0 or per_node.get(node, 0) >= clone.promoted_node_max:
            continue
        if not model.nodes[node].can_run:
            continue
        for p in model.primitives(inst):
            if work.assigned.get(p) is not None:
                work.roles[p] = Role.PROMOTED
        per_node[node] = per_node.get(node, 0) + 1
        chosen += 1


def node_totals(table: dict[str, int], raw: list[tuple[int, int, str, str]],
                colocated: list[tuple[int, int, str, str]]) -> list[tuple[int, str, str]]:
    """Promotion scores as Pacemaker prints them: an instance with a score of 0 or more
    counts for its node, whose total (with the clone's own score there, then what
    colocations by role add on that node) every such instance on it takes; a negative
    one keeps its own score, colocations aside. `table`: the clone's printed scores."""
    totals: dict[str, int] = {}
    effect: dict[str, int] = {}
    for (score, _i, _inst, node), (after, _j, _n, _m) in zip(raw, colocated, strict=True):
        if score >= 0:
            totals[node] = add_scores(totals.get(node, table.get(node, 0)), score)
            effect[node] = after if after in (INFINITY, -INFINITY) else after - score
    out = []
    for score, _idx, inst, node in raw:
        if score < 0:
            out.append((score, inst, node))
        elif effect[node] in (INFINITY, -INFINITY):
            out.append((effect[node], inst, node))
        else:
            out.append((add_scores(totals[node], effect[node]), inst, node))
    return out


def may_promote_without_quorum(model: ClusterModel, rid: str) -> bool:
    """no-quorum-policy freeze/stop (Explained: cluster options) forbid new promotions."""
    if model.have_quorum or model.meta(rid, "requires", "") == "nothing":
        return True
    return model.prop("no-quorum-policy", "stop").lower() == "ignore"


def role_location(work: Work, rid: str, node: str) -> int:
    total = 0
    for loc_node, score, role in work.loc_of.get(rid, ()):
        if role == Role.PROMOTED and loc_node == node:
            total = add_scores(total, score)
    return total


def apply_role_colocations(work: Work, rid: str,
                           candidates: list[tuple[int, int, str, str]]
                           ) -> list[tuple[int, int, str, str]]:
    """Colocations naming the Promoted role of this clone shift promotion scores."""
    model = work.model
    out = []
    for score, idx, inst, node in candidates:
        for c in work.with_of.get(rid, ()):
            if c.dependent_role != Role.PROMOTED:
                continue
            prim_nodes = nodes_of(work, c.primary, c.primary_role, c.score >= INFINITY)
            eff = colocation_effect(model, {node: 0}, prim_nodes, c)
            score = add_scores(score, eff[node])
        for c in work.deps_of.get(rid, ()):
            if c.primary_role != Role.PROMOTED or c.dependent in work.assigned:
                continue
            dep = own_scores(work, c.dependent)
            value = dep.get(node, 0)
            if c.score >= INFINITY or c.score <= -INFINITY:
                value = value if c.score > 0 else -value
            else:
                value = int(value * c.score / INFINITY)
            if value < INFINITY or c.score >= INFINITY:
                score = add_scores(score, value)
        out.append((score, idx, inst, node))
    return out

"""Scores: the working state of one assignment run and the node-score tables it is built
from (Pacemaker Explained, "Resource placement"): the cluster's symmetry, location
constraints and node health, stickiness, failure bans, colocation effects and the
influence of colocated resources.

Owns the score arithmetic every placement stage shares (placement.py for primitives and
groups, clones.py for instances and promotion, assign.py for the order); it imports none
of them. Must never choose nodes, create actions or do I/O. `Work` is mutable scratch
private to one `assign` call; what leaves the run is frozen (assign.Assignment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hacluster.common import INFINITY, add_scores, is_true, parse_boolean
from hacluster.scheduler.model import ClusterModel, Colocation, PrimitiveState, Role
from hacluster.scheduler.policy import (
    ancestors,
    health_score,
    is_blocked,
    lock_node,
    managed_by_config,
)
from hacluster.scheduler.unpack_time import int_or_zero


@dataclass(slots=True)
class Work:
    """Mutable scratch state of one assignment run."""

    model: ClusterModel
    assigned: dict[str, str | None] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    used: dict[str, dict[str, int]] = field(default_factory=dict)
    # What crm_simulate -s prints, in run order (score_lines formats it).
    records: list[ScoreRecord] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # top-level ids in assignment order
    # The same scores as data, for explain: (function, resource, node -> score) in the
    # order printed, and each promotable instance's promotion score per node.
    tables: list[tuple[str, str, Mapping[str, int] | LazyTable]] = field(default_factory=list)
    promotion: dict[str, dict[str, int | LazyTable]] = field(default_factory=dict)
    # Tables that depend on the model alone (locations along a resource's path, a
    # primitive's base table), computed once per run; readers get copies.
    static: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    usable: dict[str, bool] = field(default_factory=dict)  # node -> can run resources
    deps_of: dict[str, list[Colocation]] = field(default_factory=dict)  # primary -> cons
    with_of: dict[str, list[Colocation]] = field(default_factory=dict)  # dependent -> cons
    loc_of: dict[str, list[tuple[str, int, Role | None]]] = field(default_factory=dict)
    health: dict[str, int] = field(default_factory=dict)  # node -> non-zero health score
    # resource-discovery=exclusive: resource -> the nodes its exclusive locations name
    exclusive: dict[str, set[str]] = field(default_factory=dict)
    # Clone instance primitive -> its score on the node it was placed on (what a mandatory
    # colocation with its role adds there) and clone -> its own table.
    chosen: dict[str, int] = field(default_factory=dict)
    clone_tables: dict[str, dict[str, int]] = field(default_factory=dict)
    # Model-only caches of tables.py: promotion score per (instance, node); per primitive
    # base of an anonymous clone, each instance's known nodes and their union.
    promo: dict[tuple[str, str], int] = field(default_factory=dict)
    known: dict[str, tuple[dict[str, frozenset[str]], frozenset[str]]] = field(
        default_factory=dict)


def top_of(model: ClusterModel, rid: str) -> str:
    rsc = model.resources[rid]
    while rsc.parent is not None:
        rsc = model.resources[rsc.parent]
    return rsc.id


def build_work(model: ClusterModel) -> Work:
    work = Work(model)
    for c in model.colocations:
        work.deps_of.setdefault(c.primary, []).append(c)
        work.with_of.setdefault(c.dependent, []).append(c)
    for loc in model.locations:
        work.loc_of.setdefault(loc.rsc, []).append((loc.node, loc.score, loc.role))
        if loc.discovery == "exclusive":
            work.exclusive.setdefault(loc.rsc, set()).add(loc.node)
    for name, node in model.nodes.items():
        work.used[name] = {}
        work.usable[name] = node.can_run
        if model.prop("node-health-strategy", "none").lower() != "none":
            health = health_score(model, name)
            if health:
                work.health[name] = health
    return work


def is_symmetric(model: ClusterModel) -> bool:
    return is_true(model.prop("symmetric-cluster", "true"), default=True)


def location_scores(work: Work, rid: str) -> dict[str, int]:
    """Scores from the cluster's symmetry and location constraints on `rid` alone."""
    cached = work.static.get(("location", rid))
    if cached is None:
        cached = work.static[("location", rid)] = fresh_location_scores(work, rid)
    return dict(cached)


def fresh_location_scores(work: Work, rid: str) -> dict[str, int]:
    model = work.model
    scores: dict[str, int] = {n: 0 for n in model.nodes} if is_symmetric(model) else {}
    for node, score, role in work.loc_of.get(rid, ()):
        if role in (Role.PROMOTED, Role.UNPROMOTED):
            continue
        scores[node] = add_scores(scores.get(node, 0), score)
    if model.resources[rid].parent is None:
        # Node health acts as a location score of every top-level resource on the node
        # (Explained: node health strategies), so it shows in the printed scores too.
        for node, health in work.health.items():
            if health < 0 and is_true(model.meta(rid, "allow-unhealthy-nodes", "false")):
                continue
            scores[node] = add_scores(scores.get(node, 0), health)
    if rid in work.exclusive:
        # Explained, resource-discovery=exclusive: only the nodes its exclusive
        # locations name may run it (an offline node too is banned).
        for node in scores:
            if node not in work.exclusive[rid]:
                scores[node] = -INFINITY
    rsc = model.resources[rid]
    if rsc.kind == "clone" and not rsc.unique:
        # A failure that bans an anonymous instance from a node bans the whole clone
        # there (every instance is the same resource to that node).
        for prim in (p for inst in rsc.children for p in model.primitives(inst)):
            state = model.states.get(prim)
            for node in state.banned_nodes if state is not None else ():
                scores[node] = -INFINITY
    return scores


def stopped_by_failure(model: ClusterModel, rid: str) -> bool:
    """A failure of primitive `rid` whose on-fail is stop."""
    state = model.states.get(rid)
    return state is not None and any(state.on_fail.get(n) == "stop" for n in state.failed_nodes)


def demote_failed(state: PrimitiveState) -> bool:
    """A failure with on-fail=demote where the resource is active: it is demoted, not
    recovered, but counts as failed (placed after the others, not kept first)."""
    return any(state.on_fail.get(n) == "demote" for n in state.running_on)


def in_anonymous_clone(model: ClusterModel, rid: str) -> bool:
    return any(model.resources[a].kind == "clone" and not model.resources[a].unique
               for a in ancestors(model, rid))


def stickiness(model: ClusterModel, rid: str) -> int:
    """resource-stickiness; clone instances default to 1 (Explained: clone options)."""
    in_clone = any(model.resources[a].kind == "clone" for a in ancestors(model, rid))
    value = model.meta(rid, "resource-stickiness",
                       model.meta(rid, "stickiness", "1" if in_clone else "0"))
    return int_or_zero(value)


def primitive_scores(work: Work, rid: str, with_location: bool = True,
                     influence: bool = False) -> dict[str, int]:
    """A primitive's own scores: location, stickiness on its current node, bans."""
    key = ("primitive" + ("+loc" if with_location else "") + ("+inf" if influence else ""), rid)
    cached = work.static.get(key)
    if cached is None:
        cached = work.static[key] = fresh_primitive_scores(work, rid, with_location, influence)
    return dict(cached)


def fresh_primitive_scores(work: Work, rid: str, with_location: bool,
                           influence: bool) -> dict[str, int]:
    model = work.model
    scores = location_scores(work, rid) if with_location else {n: 0 for n in model.nodes}
    state = model.states.get(rid)
    if state is None:
        return scores
    stick = stickiness(model, rid)
    if stick and parse_boolean(model.meta(rid, "is-managed", "true")) is not False:
        for node in state.running_on:
            # A failed resource still sticks to its own node (it is recovered there),
            # but that does not pull what it is colocated with.
            if node in scores and not (influence and node in state.failed_nodes):
                scores[node] = add_scores(scores[node], stick)
            elif node not in scores and is_symmetric(model):
                scores[node] = stick
    if len(state.running_on) == 1 and not managed_by_config(model, rid) \
            and rid not in model.ticket_frozen:
        # An unmanaged resource stays where it is: INFINITY on its node (one frozen by a
        # lost ticket, or by fencing without a device, became unmanaged only after its
        # scores were set).
        node = state.running_on[0]
        scores[node] = add_scores(scores.get(node, 0), INFINITY)
    for node in state.banned_nodes | state.stop_failed_nodes:
        scores[node] = -INFINITY  # a failed stop bans the node too
    if stopped_by_failure(model, rid) and not in_anonymous_clone(model, rid):
        # on-fail=stop: a -INFINITY location on every node (Explained: on-fail); an
        # anonymous clone's instance puts it on its clone's own table (clones.py).
        scores = {n: -INFINITY for n in scores}
    locked = lock_node(model, rid)
    if locked is not None:  # shutdown-lock: nowhere but the node it is held for
        for node in scores:
            if node != locked:
                scores[node] = -INFINITY
    return scores


def merge_factor(target: dict[str, int], other: Mapping[str, int], factor: float,
                 only_positive: bool = False, keep_tiny: bool = True,
                 usable: Mapping[str, bool] | None = None) -> dict[str, int]:
    """target + factor*other per node (nodes missing from `other` count as 0). With
    `usable` (a colocated resource's scores, Explained: colocation influence), a node
    that cannot run resources offers that resource -INFINITY, and a negative factor
    never turns a negative score into a preference."""
    out = dict(target)
    for node, base in target.items():
        if only_positive and base == UNUSABLE:
            continue  # a node a positive-only merge made unusable stays so
        value = other.get(node, 0)
        if usable is not None:
            value = other.get(node, -INFINITY) if usable.get(node, False) else -INFINITY
            if factor < 0 and value < 0:
                continue
        out[node] = add_scores(base, scaled(value, factor, keep_tiny))
        if only_positive and out[node] < 0 <= base:
            # A clone only takes in preferences: what would turn a node negative leaves
            # it as it was; a preferred node becomes UNUSABLE (settle: barely usable).
            out[node] = UNUSABLE if base > 0 else base
    return out


# Pacemaker's INFINITY_HACK: a preferred node that a positive-only merge would have
# turned negative. It counts as unusable while the merge decides whether to roll back
# (nothing could run), then settle() makes it 1.
UNUSABLE = -100 * INFINITY


def settle(scores: dict[str, int]) -> dict[str, int]:
    return {n: 1 if v == UNUSABLE else v for n, v in scores.items()}


def scaled(value: int, factor: float, keep_tiny: bool = True) -> int:
    """factor*value rounded half away from zero; a non-zero preference never vanishes."""
    if value >= INFINITY:
        value = INFINITY
    elif value <= -INFINITY:
        value = -INFINITY
    product = value * factor
    delta = int(product - 0.5) if product < 0 else int(product + 0.5)
    if delta == 0 and product != 0 and keep_tiny:
        delta = 1 if product > 0 else -1
    return delta


def can_run_any(model: ClusterModel, scores: Mapping[str, int]) -> bool:
    return any(s >= 0 and model.nodes[n].can_run for n, s in scores.items())


def attr_nodes(model: ClusterModel, nodes: set[str], attr: str) -> set[str]:
    """Nodes sharing `attr`'s value with any of `nodes` (node-attribute colocations)."""
    if attr == "#uname":
        return nodes
    values = {model.nodes[n].attrs.get(attr) for n in nodes if n in model.nodes}
    values.discard(None)
    return {n for n, node in model.nodes.items() if node.attrs.get(attr) in values}


def colocation_effect(model: ClusterModel, scores: dict[str, int], prim_nodes: set[str] | None,
                      c: Colocation) -> dict[str, int]:
    if prim_nodes is None:
        return scores
    out = dict(scores)
    if not prim_nodes:
        if c.score >= INFINITY:
            return {n: -INFINITY for n in out}
        return out
    matching = attr_nodes(model, prim_nodes, c.node_attribute)
    for node in out:
        if c.score >= INFINITY:
            if node not in matching:
                out[node] = -INFINITY
        elif node in matching:
            out[node] = add_scores(out[node], c.score)
    return out


def apply_colocation(work: Work, scores: dict[str, int], c: Colocation,
                     fully: bool | str = False) -> dict[str, int]:
    """`scores` after colocation `c` with its primary where the run placed it. A
    mandatory colocation with a role of a promotable clone also adds, on each node where
    an instance takes that role, the score that instance was placed with; one where both
    sides name the Promoted role waits for promotion (changes nothing here). A mandatory
    colocation with a clone bans the dependent from every node the clone is not on,
    adding (banned) the clone's nodes the dependent's table did not list."""
    primary = work.model.resources[c.primary]
    if primary.kind == "clone" and abs(c.score) < INFINITY and c.primary_role is None \
            and c.primary in work.assigned:
        return per_instance(work, scores, c)
    if primary.promotable and c.score >= INFINITY and c.primary_role == Role.PROMOTED \
            and c.dependent_role == Role.PROMOTED:
        return scores  # waits for the dependent's promotion
    where = nodes_of(work, c.primary, c.primary_role, fully)
    if where and primary.kind == "clone" and c.score >= INFINITY and c.primary_role is None:
        where = {n for n in where if not blocked_only_on(work, c.primary, n)}
    out = colocation_effect(work.model, scores, where, c)
    if where and primary.kind == "clone" and c.score >= INFINITY:
        for name in sorted(where - out.keys()):
            out[name] = -INFINITY  # a node of the primary's shows up, banned (Pacemaker)
    if not where or c.score < INFINITY or c.primary_role is None or not primary.promotable \
            or (c.dependent_role == Role.PROMOTED and c.primary_role == Role.PROMOTED):
        return out
    for inst in primary.children:
        prims = work.model.primitives(inst)
        node = work.assigned.get(prims[0]) if prims else None
        if node in out and work.roles.get(prims[0]) == c.primary_role:
            out[node] = add_scores(out[node], work.chosen.get(prims[0], 0))
    return out


def blocked_only_on(work: Work, clone: str, node: str) -> bool:
    """Whether every instance of `clone` placed on `node` is blocked there (a failure
    with on-fail=block, a stop that failed without fencing): a mandatory colocation
    with the clone does not count such an instance (Pacemaker 2.1.5)."""
    model = work.model
    placed = [i for i in model.resources[clone].children if work.assigned.get(i) == node]
    return bool(placed) and all(any(is_blocked(model, p) for p in model.primitives(i))
                                for i in placed)


def per_instance(work: Work, scores: dict[str, int], c: Colocation) -> dict[str, int]:
    """An optional colocation with a clone counts once per placed instance, each undone
    when it would leave no node able to run the dependent (as crm_simulate shows)."""
    out = scores
    for inst in work.model.resources[c.primary].children:
        node = work.assigned.get(inst)
        if node is None:
            continue
        trial = colocation_effect(work.model, out, {node}, c)
        if can_run_any(work.model, trial):
            out = trial
    return out


def colocated_or_rolled_back(work: Work, scores: dict[str, int], c: Colocation,
                             fully: bool | str = False) -> dict[str, int]:
    """`scores` after colocation `c`, unless `c` is optional (finite score) and would
    leave no node able to take the resource: then its scores are rolled back (observed
    of Pacemaker 2.1.5: a -100 colocation does not stop a resource with nowhere else to
    go; with a clone, apply_colocation already does so instance by instance)."""
    after = apply_colocation(work, scores, c, fully)
    if -INFINITY < c.score < INFINITY and not can_run_any(work.model, after):
        return scores
    return after


def nodes_of(work: Work, rid: str, role: Role | None, fully: bool | str = False
             ) -> set[str] | None:
    """Where a (possibly collective) primary was assigned; None if not assigned yet.
    `fully`: a mandatory colocation with a group needs the whole group, i.e. its last
    member (Explained: groups); otherwise the group is where its first member is."""
    model = work.model
    rsc = model.resources[rid]
    if rsc.kind == "primitive":
        if rid not in work.assigned:
            return None
        node = work.assigned[rid]
        if node is None:
            return set()
        if role in (Role.PROMOTED, Role.UNPROMOTED) and work.roles.get(rid) != role:
            return set()
        return {node}
    if rsc.kind == "group":
        if rid not in work.assigned:
            return None
        node = work.assigned[rsc.children[-1]] if fully and rsc.children else work.assigned[rid]
        return {node} if node is not None else set()
    if rid not in work.assigned:
        return None
    out: set[str] = set()
    for inst in rsc.children:
        kids = model.resources[inst].children
        node = work.assigned.get(kids[-1] if fully == "instances" and kids else inst)
        if node is None:
            continue
        if role in (Role.PROMOTED, Role.UNPROMOTED):
            prims = model.primitives(inst)
            if not prims or work.roles.get(prims[0]) != role:
                continue
        out.add(node)
    return out


def fmt(score: int) -> str:
    return "INFINITY" if score >= INFINITY else "-INFINITY" if score <= -INFINITY else str(score)


def log_promotion(work: Work, inst: str, node: str, score: int | LazyTable) -> None:
    """`score`: the instance's score, or a LazyTable of instance -> score (computed when
    read)."""
    work.promotion.setdefault(inst, {})[node] = score
    work.records.append(("promotion", inst, node, score))


def promotion_of(inst: str, score: int | LazyTable) -> int:
    return score.get()[inst] if isinstance(score, LazyTable) else score


class LazyTable:
    """A table printed for the operator only (not deciding anything), computed when
    someone reads it: most runs never print scores. Its inputs are settled when it is
    recorded (model-only caches, nodes already assigned, copies of counters)."""

    __slots__ = ("make", "value")

    def __init__(self, make: Callable[[], dict[str, int]]) -> None:
        self.make: Callable[[], dict[str, int]] | None = make
        self.value: dict[str, int] = {}

    def get(self) -> dict[str, int]:
        if self.make is not None:
            self.value, self.make = self.make(), None
        return self.value

    def __eq__(self, other: object) -> bool:  # two runs compare by the scores they print
        if isinstance(other, LazyTable):
            return self.get() == other.get()
        return isinstance(other, dict) and self.get() == other

    __hash__ = None  # type: ignore[assignment]



def table_of(value: Mapping[str, int] | LazyTable) -> Mapping[str, int]:
    return value.get() if isinstance(value, LazyTable) else value


def log_scores(work: Work, fn: str, rid: str, scores: Mapping[str, int] | LazyTable) -> None:
    table = scores if isinstance(scores, LazyTable) else dict(scores)
    work.tables.append((fn, rid, table))
    work.records.append((fn, rid, "", table))


def log_lazy(work: Work, fn: str, rid: str, make: Callable[[], dict[str, int]]) -> None:
    log_scores(work, fn, rid, LazyTable(make))


ScoreRecord = tuple[str, str, str, "Mapping[str, int] | LazyTable | int"]  # fn, rid, node


def score_lines(records: tuple[ScoreRecord, ...]) -> tuple[str, ...]:
    """crm_simulate -s lines of the recorded tables and promotion scores, in run order
    (formatted only when someone asks: most runs never print them)."""
    out: list[str] = []
    for fn, rid, node, value in records:
        if isinstance(value, int) or fn == "promotion":
            score = value if isinstance(value, int) else promotion_of(rid, value)  # type: ignore[arg-type]
            out.append(f"{rid} promotion score on {node}: {fmt(score)}")
            continue
        table = table_of(value)
        for name in sorted(table):
            out.append(f"{fn}: {rid} allocation score on {name}: {fmt(table[name])}")
    return tuple(out)

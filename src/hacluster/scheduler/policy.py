"""Resource policy read from meta attributes and cluster options: managed or not
(is-managed, maintenance, on-fail=block, multiple-active=block), target-role, stop-all-
resources, shutdown-lock, and node health (node-health-strategy).

Owns the "may this resource act / run at all" questions of Pacemaker Explained's resource
meta-attribute and cluster-option tables. Must never place resources or do I/O.
"""

from __future__ import annotations

from hacluster.common import add_scores, is_true, parse_boolean
from hacluster.scheduler.model import ClusterModel, Role, parse_role
from hacluster.scheduler.unpack_time import int_or_zero


def health_score(model: ClusterModel, node: str) -> int:
    """Node health (Pacemaker Explained: node-health-strategy) as a score for every resource."""
    strategy = model.prop("node-health-strategy", "none").lower()
    if strategy == "none":
        return 0
    colors = {"red": model.prop("node-health-red", "-INFINITY"),
              "yellow": model.prop("node-health-yellow", "0"),
              "green": model.prop("node-health-green", "0")}
    if strategy == "migrate-on-red":
        colors = {"red": "-INFINITY", "yellow": "0", "green": "0"}
    elif strategy == "only-green":
        colors = {"red": "-INFINITY", "yellow": "-INFINITY", "green": "0"}
    total = 0
    for key, value in model.nodes[node].attrs.items():
        if key.startswith("#health"):
            word = value.strip().lower()
            total = add_scores(total, int_or_zero(colors.get(word, word)))
    return total


def is_managed(model: ClusterModel, rid: str) -> bool:
    if model.startup_disabled():
        return False  # fencing enabled without a device: nothing may be acted on
    return managed_by_config(model, rid)


def managed_by_config(model: ClusterModel, rid: str) -> bool:
    """Managed as far as the configuration and the resource's failures go (maintenance,
    is-managed, on-fail=block, ...), fencing aside."""
    if is_true(model.prop("maintenance-mode", "false")):
        return False
    if parse_boolean(model.meta(rid, "is-managed", "true")) is False:
        return False
    if is_true(model.meta(rid, "maintenance", "false")) or rid in model.ticket_frozen:
        return False
    if model.resources[rid].orphan and not is_true(model.prop("stop-orphan-resources", "true"),
                                                   default=True):
        return False  # an orphan left alone (stop-orphan-resources=false)
    state = model.states.get(rid)
    if state is not None:
        if state.blocked:
            return False  # on-fail=block (read before its node was to be fenced)
        if any(model.nodes[n].maintenance for n in state.running_on if n in model.nodes):
            return False
        if len(state.running_on) > 1 and model.meta(rid, "multiple-active", "") == "block":
            return False
    return True


def target_role(model: ClusterModel, rid: str) -> Role:

    role = parse_role(model.meta(rid, "target-role", "Started")) or Role.STARTED
    return role


def unmanaged_node(model: ClusterModel, rid: str) -> tuple[bool, str | None]:
    if is_managed(model, rid):
        return False, None
    state = model.states.get(rid)
    running = state.running_on if state else ()
    return True, running[0] if running else None


def is_locked(model: ClusterModel, rid: str) -> bool:
    """shutdown-lock (Explained: cluster options): a primitive outside clones that runs on
    a node shutting down cleanly, or was recorded as locked, stays with that node."""
    if not is_true(model.prop("shutdown-lock", "false")):
        return False
    rsc = model.resources[rid]
    if rsc.is_fencing or any(model.resources[p].kind == "clone" for p in ancestors(model, rid)):
        return False
    state = model.states.get(rid)
    if state is None:
        return False
    if state.locked_to is not None and state.locked_to in model.nodes:
        return not model.nodes[state.locked_to].online
    return any(model.nodes[n].shutdown for n in state.running_on if n in model.nodes)


def lock_node(model: ClusterModel, rid: str) -> str | None:
    """The node a shutdown-locked primitive is held for (None: not locked)."""
    if not is_locked(model, rid):
        return None
    state = model.states[rid]
    if state.locked_to is not None:
        return state.locked_to
    return next(n for n in state.running_on if n in model.nodes and model.nodes[n].shutdown)


def ancestors(model: ClusterModel, rid: str) -> list[str]:
    out = []
    parent = model.resources[rid].parent
    while parent is not None:
        out.append(parent)
        parent = model.resources[parent].parent
    return out


def next_role_stopped(model: ClusterModel, rid: str) -> bool:
    """The resource's next role is Stopped whatever the scores say: target-role=Stopped,
    a failure with on-fail=stop, or multiple-active=stop_only while active twice. Its
    scores then read -INFINITY everywhere (Explained: target-role, on-fail)."""
    if target_role(model, rid) == Role.STOPPED:
        return True
    state = model.states.get(rid)
    if state is None:
        return False
    if any(state.on_fail.get(n) == "stop" for n in state.failed_nodes):
        return True
    return len(state.running_on) > 1 and model.meta(rid, "multiple-active", "") == "stop_only"


def blocked_from_running(model: ClusterModel, rid: str) -> bool:
    if is_true(model.prop("stop-all-resources", "false")):
        return True
    if model.resources[rid].kind == "primitive" and is_locked(model, rid):
        return True
    for prim in model.primitives(rid):
        state = model.states.get(prim)
        if state and any(state.on_fail.get(n) == "stop" for n in state.failed_nodes):
            return True
        if state and len(state.running_on) > 1 and \
                model.meta(prim, "multiple-active", "") == "stop_only":
            return True
    return target_role(model, rid) == Role.STOPPED


def can_fence_node(model: ClusterModel, node: str) -> bool:
    """Whether the cluster could fence `node` now: fencing enabled with a device, and
    quorum (or no-quorum-policy=ignore, or the node still in the membership)."""
    if not model.stonith_enabled or model.startup_disabled():
        return False
    if model.have_quorum or model.prop("no-quorum-policy", "stop").lower() == "ignore":
        return True
    return node in model.nodes and model.nodes[node].online


def is_blocked(model: ClusterModel, rid: str) -> bool:
    """Pacemaker's blocked resource: a failure with on-fail=block, or a stop that failed
    with a hard error on a node that cannot be fenced (nothing more can be done there)."""
    state = model.states.get(rid)
    if state is None:
        return False
    return state.blocked or any(not can_fence_node(model, n) for n in state.unrecoverable_nodes)

"""The scheduler's frozen view of a CIB: nodes, resources, constraints and current state.

Owns the value types every stage passes on (Pacemaker Explained: nodes, resources,
constraints, operation history). Must never parse XML, read clocks or do I/O;
unpack.py builds these, later stages only read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType


class Role(IntEnum):
    """Resource roles, ordered as Pacemaker orders them (Stopped < Started < ...)."""

    UNKNOWN = 0
    STOPPED = 1
    STARTED = 2
    UNPROMOTED = 3
    PROMOTED = 4

    @property
    def text(self) -> str:
        return ROLE_TEXT[self]


ROLE_TEXT = MappingProxyType({
    Role.UNKNOWN: "Unknown",
    Role.STOPPED: "Stopped",
    Role.STARTED: "Started",
    Role.UNPROMOTED: "Unpromoted",
    Role.PROMOTED: "Promoted",
})


def parse_role(text: str | None) -> Role | None:
    """Role from CIB text, accepting the legacy names Master/Slave."""
    if text is None:
        return None
    word = text.strip().lower()
    return {
        "stopped": Role.STOPPED,
        "started": Role.STARTED,
        "unpromoted": Role.UNPROMOTED,
        "slave": Role.UNPROMOTED,
        "promoted": Role.PROMOTED,
        "master": Role.PROMOTED,
    }.get(word)


@dataclass(frozen=True, slots=True)
class Node:
    """A cluster node and its state as unpacked from node_state."""

    name: str
    id: str
    online: bool
    standby: bool
    maintenance: bool
    unclean: bool
    shutdown: bool
    pending: bool
    fence_reason: str
    attrs: Mapping[str, str]
    utilization: Mapping[str, int]

    @property
    def can_run(self) -> bool:
        """Whether resources may be placed here (online, clean, not standby/shutdown)."""
        return (self.online and not self.unclean and not self.standby
                and not self.shutdown and not self.maintenance and not self.pending)


@dataclass(frozen=True, slots=True)
class OpConfig:
    """One configured operation (<op>)."""

    name: str
    interval_ms: int
    role: Role | None
    on_fail: str | None
    enabled: bool
    timeout_ms: int
    # The op's own instance attributes (e.g. OCF_CHECK_LEVEL): part of its op-digest.
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Resource:
    """A configured resource; clones are expanded into numbered instances."""

    id: str
    kind: str  # primitive | group | clone
    parent: str | None
    children: tuple[str, ...]
    meta: Mapping[str, str]
    agent: str  # class:provider:type or class:type
    ops: tuple[OpConfig, ...]
    utilization: Mapping[str, int]
    params: Mapping[str, str]
    orphan: bool = False
    promotable: bool = False
    unique: bool = False
    clone_max: int = 0
    clone_node_max: int = 1
    promoted_max: int = 1
    promoted_node_max: int = 1
    base: str = ""  # id without the instance suffix
    digestible: bool = True  # parameters are plain (no rules), so op-digests can be checked

    @property
    def is_fencing(self) -> bool:
        return self.agent.startswith("stonith:")


@dataclass(frozen=True, slots=True)
class RecurringOp:
    """A recurring operation the history shows active on a node (it ran after the last
    start, and no stop came after): its name, interval and recorded op-digest."""

    task: str
    interval_ms: int
    digest: str


@dataclass(frozen=True, slots=True)
class Failure:
    """The last failed operation of a resource on a node."""

    task: str
    interval_ms: int
    rc: int
    on_fail: str


@dataclass(frozen=True, slots=True)
class PrimitiveState:
    """Where a primitive is active now and in which role, per node."""

    roles: Mapping[str, Role]  # node -> role, only nodes where it is active
    failed_nodes: frozenset[str]
    on_fail: Mapping[str, str]  # node -> on-fail action that applies
    fail_counts: Mapping[str, int]
    banned_nodes: frozenset[str]  # hard errors / not installed / threshold
    pending_start: frozenset[str]
    probed_nodes: frozenset[str]
    stop_failed_nodes: frozenset[str]
    blocked: bool
    changed_nodes: frozenset[str] = frozenset()  # agent or parameters changed since start
    redefined_nodes: frozenset[str] = frozenset()  # of those, the parameter changes
    # of those, changes only in parameters the history masks (op-secure-params)
    masked_nodes: frozenset[str] = frozenset()
    agent_changed_nodes: frozenset[str] = frozenset()  # history of another agent, any role
    locked_to: str | None = None  # shutdown-lock: held for a node that shut down cleanly
    history_names: Mapping[str, str] = field(default_factory=dict)  # node -> lrm_resource id
    # A promote failed (its role after failure is Unpromoted): no promotion this time.
    promote_failed: bool = False
    # Nodes where it is active without having been started (see NodeHistory).
    unstarted_nodes: frozenset[str] = frozenset()
    # node -> the recurring operations active there (Pacemaker: not scheduled again).
    recurring: Mapping[str, tuple[RecurringOp, ...]] = field(default_factory=dict)
    # Nodes where a stop failed with a hard error: only fencing them recovers it.
    unrecoverable_nodes: frozenset[str] = frozenset()

    @property
    def running_on(self) -> tuple[str, ...]:
        return tuple(self.roles)

    @property
    def role(self) -> Role:
        return max(self.roles.values(), default=Role.STOPPED)


EMPTY_STATE = PrimitiveState({}, frozenset(), {}, {}, frozenset(), frozenset(), frozenset(),
                             frozenset(), False)


@dataclass(frozen=True, slots=True)
class Location:
    """A location preference of one resource for one node (rules already evaluated)."""

    id: str
    rsc: str
    node: str
    score: int
    role: Role | None
    discovery: str = "always"  # resource-discovery: always | never | exclusive


@dataclass(frozen=True, slots=True)
class Colocation:
    id: str
    dependent: str
    primary: str
    score: int
    dependent_role: Role | None
    primary_role: Role | None
    influence: bool
    node_attribute: str = "#uname"


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    first: str
    first_action: str
    then: str
    then_action: str
    kind: str  # Mandatory | Optional | Serialize
    symmetrical: bool
    require_all: bool = True
    first_set: tuple[str, ...] = ()  # set of firsts for require-all=false
    from_sets: bool = False  # between two resource sets (not a plain first/then)


@dataclass(frozen=True, slots=True)
class ClusterModel:
    """Everything the later stages need, unpacked once."""

    now_s: int
    properties: Mapping[str, str]
    rsc_defaults: Mapping[str, str]
    op_defaults: Mapping[str, str]
    nodes: Mapping[str, Node]  # in configuration order
    resources: Mapping[str, Resource]  # every resource and instance by id
    top: tuple[str, ...]  # top-level resource ids in configuration order
    states: Mapping[str, PrimitiveState]
    locations: tuple[Location, ...]
    colocations: tuple[Colocation, ...]
    orders: tuple[Order, ...]
    have_quorum: bool
    stonith_enabled: bool
    fence_nodes: Mapping[str, str] = field(default_factory=dict)  # node -> reason
    # Pending nodes already in the membership, with the resources they have history for:
    # a resource must be probed there before it may start anywhere.
    unprobed_members: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Base primitive id (`rsc` for `rsc` and `rsc:N`) -> nodes with completed lrm history
    # for it, with the id of that history: anonymous clone instances share one per node.
    known_on: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # History ids of resources no longer configured and not active -> online nodes
    # holding them: their histories are deleted.
    deletable: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Primitives left where they are, unmanaged, because their ticket was lost
    # (rsc_ticket loss-policy=freeze).
    ticket_frozen: frozenset[str] = frozenset()

    def prop(self, name: str, default: str) -> str:
        return self.properties.get(name, default)

    def startup_disabled(self) -> bool:
        """stonith-enabled without any fencing device configured: the cluster may neither
        fence nor start, stop or recover anything (every resource is left as it is)."""
        return self.stonith_enabled and not any(
            r.kind == "primitive" and r.is_fencing for r in self.resources.values())

    def meta(self, rsc_id: str, name: str, default: str) -> str:
        """A meta attribute, inherited from parents, then rsc_defaults."""
        rid: str | None = rsc_id
        while rid is not None:
            rsc = self.resources[rid]
            if name in rsc.meta:
                return rsc.meta[name]
            rid = rsc.parent
        return self.rsc_defaults.get(name, default)

    def primitives(self, rsc_id: str) -> tuple[str, ...]:
        """All primitive descendants of a resource, in order."""
        rsc = self.resources[rsc_id]
        if rsc.kind == "primitive":
            return (rsc_id,)
        out: list[str] = []
        for child in rsc.children:
            out.extend(self.primitives(child))
        return tuple(out)

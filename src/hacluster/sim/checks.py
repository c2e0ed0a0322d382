"""Invariants of the simulated cluster, checked as outputs happen (so after every event):
(a) members of a ring agree on its members; (b) one total order per ring; (c) EVS: nodes
that move together from one configuration to the next delivered the same messages of the
old one; (d) nothing delivered twice or invented; (f) quorate views always intersect;
(g) a node's CIB version never goes backwards (across its restarts too: it comes back from
its persisted copy); (h) copies persisted at one lineage position (quorate ring, writes
applied since) hold one configuration: a fork there is how acknowledged writes get lost. CIB convergence and "no acknowledged write lost" are checked by the
liveness phase (World.cib_problem) with the acknowledgements recorded here.
Liveness (e) is checked by world.py's liveness phase with `undelivered`.

Owns the record of who delivered what. Must never influence the run (read-only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hacluster.common import NodeId
from hacluster.events import ConfigChange, Deliver, RingId

Incarnation = tuple[NodeId, int]


@dataclass(slots=True)
class NodeRecord:
    ring: RingId | None = None
    delivered: set[bytes] = field(default_factory=set)
    in_ring: set[bytes] = field(default_factory=set)
    last_pos: tuple[int, int] = (0, -1)
    quorate: bool = False
    view: frozenset[NodeId] = frozenset()


class Checker:
    def __init__(self) -> None:
        self.violations: list[str] = []
        self.submitted: dict[bytes, Incarnation] = {}
        self.records: dict[Incarnation, NodeRecord] = {}
        self.ring_members: dict[RingId, tuple[NodeId, ...]] = {}
        self.order: dict[tuple[RingId, int, int], bytes] = {}
        self.moves: dict[tuple[RingId, RingId], tuple[Incarnation, frozenset[bytes]]] = {}
        self.cib_versions: dict[NodeId, tuple[int, int, int]] = {}
        self.cib_acked: set[str] = set()
        self.cib_positions: dict[tuple[int, int], tuple[NodeId, str]] = {}
        self.cib_refused = 0

    def fail(self, now_ms: int, text: str) -> None:
        self.violations.append(f"t={now_ms} {text}")

    def record(self, who: Incarnation) -> NodeRecord:
        return self.records.setdefault(who, NodeRecord())

    def on_submit(self, who: Incarnation, data: bytes) -> None:
        assert data not in self.submitted
        self.submitted[data] = who

    def on_deliver(self, now_ms: int, who: Incarnation, d: Deliver) -> None:
        rec = self.record(who)
        if d.data not in self.submitted:
            self.fail(now_ms, f"(d) node {who} delivered an invented message {d.data[:40]!r}")
        if d.data in rec.delivered:
            self.fail(now_ms, f"(d) node {who} delivered {d.data[:40]!r} twice")
        rec.delivered.add(d.data)
        rec.in_ring.add(d.data)
        if rec.ring is not None and d.ring_id != rec.ring:
            self.fail(now_ms, f"(b) node {who} delivered on ring {d.ring_id} while in {rec.ring}")
        key = (d.ring_id, d.seq, d.index)
        first = self.order.setdefault(key, d.data)
        if first != d.data:
            self.fail(now_ms, f"(b) ring {d.ring_id} position {d.seq}.{d.index}: "
                              f"{first[:40]!r} elsewhere, {d.data[:40]!r} at node {who}")
        pos = (d.seq, d.index)
        if pos <= rec.last_pos:
            self.fail(now_ms, f"(b) node {who} delivered {pos} after {rec.last_pos}")
        rec.last_pos = pos

    def on_config(self, now_ms: int, who: Incarnation, c: ConfigChange) -> None:
        if c.kind != "regular":
            return
        rec = self.record(who)
        known = self.ring_members.setdefault(c.ring_id, c.members)
        if known != c.members:
            self.fail(now_ms, f"(a) ring {c.ring_id}: members {known} elsewhere, {c.members} at {who}")
        if rec.ring is not None:
            move = (rec.ring, c.ring_id)
            got = frozenset(rec.in_ring)
            other = self.moves.setdefault(move, (who, got))
            if other[1] != got:
                diff = [m[:24] for m in sorted(other[1] ^ got)[:4]]
                self.fail(now_ms, f"(c) {other[0]} and {who} moved {move[0]}->{move[1]} "
                                  f"with different deliveries, e.g. {diff}")
        rec.ring = c.ring_id
        rec.in_ring = set()
        rec.last_pos = (0, -1)

    def on_quorum(self, now_ms: int, who: Incarnation, quorate: bool,
                  members: tuple[NodeId, ...]) -> None:
        rec = self.record(who)
        rec.quorate, rec.view = quorate, frozenset(members)

    def check_quorum(self, now_ms: int, alive: set[Incarnation]) -> None:
        views = [(w, self.records[w].view) for w in sorted(alive)
                 if w in self.records and self.records[w].quorate]
        for i, (a, va) in enumerate(views):
            for b, vb in views[i + 1:]:
                if not va & vb:
                    self.fail(now_ms, f"(f) disjoint quorate partitions {sorted(va)} at {a} "
                                      f"and {sorted(vb)} at {b}")

    def on_cib_persist(self, now_ms: int, node_id: NodeId, version: tuple[int, int, int]) -> None:
        last = self.cib_versions.get(node_id)
        if last is not None and tuple(version) < last:
            self.fail(now_ms, f"(g) node {node_id} CIB version went back from {last} to {version}")
        self.cib_versions[node_id] = tuple(version)  # type: ignore[assignment]

    def on_cib_copy(self, now_ms: int, node_id: NodeId, position: tuple[int, int],
                    configuration_digest: str) -> None:
        """A node persisted a copy at a lineage position (ring, count) with this
        configuration."""
        first = self.cib_positions.setdefault(position, (node_id, configuration_digest))
        if first[1] != configuration_digest:
            self.fail(now_ms, f"(h) lineage position {position}: node {first[0]} and node "
                              f"{node_id} persisted different configurations")

    def on_cib_reply(self, now_ms: int, node_id: NodeId, name: str, ok: bool) -> None:
        if ok:
            self.cib_acked.add(name)
        else:
            self.cib_refused += 1

    def forget(self, who: Incarnation) -> None:
        """A crashed incarnation no longer counts for quorum."""
        rec = self.records.get(who)
        if rec is not None:
            rec.quorate = False

    def undelivered(self, who: Incarnation, by: Incarnation) -> list[bytes]:
        """Messages submitted by `who` that `by` has not delivered."""
        got = self.record(by).delivered
        return sorted(m for m, w in self.submitted.items() if w == who and m not in got)

"""CIB replication core, driven by a tiny in-test agreed order with partitions and crashes.

Invariants after every run: once healed, every replica has the same digest; no acknowledged
write is lost; a replica's version never goes backwards (across restarts too)."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field

import pytest

from hacluster.cib import (
    CIB_CODEC,
    ApplyDone,
    ApplyJob,
    Broadcast,
    CIBReplica,
    CIBRequest,
    CIBSync,
    CIBUpdate,
    CIBVersion,
    Delivered,
    LocalWrite,
    MembershipChanged,
    SchemaLookup,
    parse_persisted,
    run_apply,
)
from hacluster.common import Code, NodeId
from hacluster.drivers.cibfile import SCHEMA_DIR, schema_lookup
from hacluster.events import Persist, Reply

BASE = b"""<cib validate-with="pacemaker-3.7" admin_epoch="0" epoch="1" num_updates="0">
<configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>"""


def primitive(rid: str) -> CIBRequest:
    return CIBRequest("create", f'<primitive id="{rid}" class="ocf" provider="pacemaker" '
                      'type="Dummy"/>', "resources")


@dataclass
class AgreedOrder:
    """One FIFO per partition: every live member of a partition gets the same sequence."""

    nodes: int
    expected_votes: int | None = None
    replicas: dict[NodeId, CIBReplica] = field(default_factory=dict)
    persisted: dict[NodeId, bytes] = field(default_factory=dict)
    groups: list[tuple[NodeId, ...]] = field(default_factory=list)
    queues: dict[tuple[NodeId, ...], list[tuple[NodeId, bytes]]] = field(default_factory=dict)
    replies: dict[tuple[NodeId, int], Reply] = field(default_factory=dict)
    last_version: dict[NodeId, CIBVersion] = field(default_factory=dict)
    trace: list[tuple[NodeId, str]] = field(default_factory=list)
    created: dict[tuple[NodeId, int], bool] = field(default_factory=dict)
    ring: int = 0
    schemas: SchemaLookup | None = None
    offload: bool = False  # replicas hand out ApplyJobs; complete() runs them later
    jobs: dict[NodeId, ApplyJob] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for n in range(1, self.nodes + 1):
            self.start(NodeId(n))

    def start(self, node: NodeId) -> None:
        doc, lineage = parse_persisted(self.persisted.get(node, BASE))
        self.replicas[node] = CIBReplica(node, doc, random.Random(node), lineage=lineage,
                                         schemas=self.schemas, offload=self.offload)
        self.jobs.pop(node, None)  # a job of the crashed replica never comes back
        self.observe(node)

    def observe(self, node: NodeId) -> None:
        version = self.replicas[node].status().version
        assert version >= self.last_version.get(node, version), f"node {node} went backwards"
        self.last_version[node] = version

    def group_of(self, node: NodeId) -> tuple[NodeId, ...]:
        return next(g for g in self.groups if node in g)

    def step(self, node: NodeId, event: object) -> list[object]:
        outputs = self.replicas[node].step(0, event)  # type: ignore[arg-type]
        for out in outputs:
            self.trace.append((node, type(out).__name__))
            if isinstance(out, Broadcast):
                self.queues[self.group_of(node)].append((node, out.payload))
            elif isinstance(out, Persist):
                self.persisted[node] = out.data
            elif isinstance(out, Reply):
                self.replies[(node, out.request_id)] = out
            elif isinstance(out, ApplyJob):
                assert node not in self.jobs, "one job at a time"
                self.jobs[node] = out
        self.observe(node)
        return list(outputs)

    def partition(self, *groups: tuple[int, ...]) -> None:
        """A new configuration: in-flight messages of old rings are lost, each group forms."""
        self.ring += 1
        self.groups = [tuple(NodeId(n) for n in sorted(g)) for g in groups if g]
        self.queues = {g: [] for g in self.groups}
        for group in self.groups:
            for node in group:
                self.step(node, self.membership(group))

    def membership(self, group: tuple[NodeId, ...]) -> MembershipChanged:
        """votequorum's verdict: a strict majority of expected_votes (any group without)."""
        if self.expected_votes is None:
            return MembershipChanged(group, self.ring)
        return MembershipChanged(group, self.ring, len(group) * 2 > self.expected_votes,
                                 self.expected_votes // 2 + 1)

    def heal(self) -> None:
        self.partition(tuple(sorted(self.replicas)))

    def complete(self, node: NodeId) -> None:
        """The worker finishes `node`'s ApplyJob: its ApplyDone is stepped in."""
        self.step(node, run_apply(self.jobs.pop(node)))

    def crash(self, node: NodeId) -> None:
        del self.replicas[node]
        self.jobs.pop(node, None)
        self.partition(*[tuple(n for n in g if n != node) for g in self.groups])

    def deliver_one(self, group: tuple[NodeId, ...]) -> None:
        sender, payload = self.queues[group].pop(0)
        for node in group:
            self.step(node, Delivered(sender, payload))

    def drain(self) -> None:
        while any(self.queues.values()) or self.jobs:
            for node in sorted(self.jobs):
                self.complete(node)
            for group in self.groups:
                if self.queues[group]:
                    self.deliver_one(group)

    def write(self, node: NodeId, request_id: int, request: CIBRequest) -> None:
        self.step(node, LocalWrite(request_id, request))

    def acked(self) -> list[tuple[NodeId, int]]:
        return [k for k, r in self.replies.items() if r.ok]

    def digests(self) -> set[str]:
        return {r.status().digest for r in self.replicas.values()}


def cluster(nodes: int = 3, expected_votes: int | None = None,
            schemas: SchemaLookup | None = None, offload: bool = False) -> AgreedOrder:
    order = AgreedOrder(nodes, expected_votes, schemas=schemas, offload=offload)
    order.heal()
    order.drain()
    return order


def test_a_write_is_acknowledged_only_after_delivery_and_persist() -> None:
    order = cluster()
    order.write(NodeId(1), 7, primitive("d1"))
    assert not order.replies, "no reply before the write comes back in agreed order"
    order.trace.clear()
    order.drain()
    reply = order.replies[(NodeId(1), 7)]
    assert reply.ok
    mine = [kind for node, kind in order.trace if node == NodeId(1)]
    assert mine == ["Persist", "Reply"]
    assert len(order.digests()) == 1
    assert order.replicas[NodeId(3)].doc.find_by_id("d1") is not None


def test_concurrent_writes_are_applied_in_the_same_order_everywhere() -> None:
    order = cluster()
    for n in (1, 2, 3):
        order.write(NodeId(n), 1, primitive("same"))
        order.write(NodeId(n), 2, primitive(f"own{n}"))
    order.drain()
    oks = [k for k in order.acked() if k[1] == 1]
    assert len(oks) == 1, "exactly one create of the same id wins"
    losers = [r for k, r in order.replies.items() if k[1] == 1 and not r.ok]
    assert all(r.problems[0].code is Code.CIB_ID_EXISTS for r in losers)
    assert len(order.digests()) == 1
    assert order.replicas[NodeId(1)].status().version == CIBVersion(0, 5, 0)


def test_membership_change_installs_the_highest_version_and_logs_the_loser(
        caplog: pytest.LogCaptureFixture) -> None:
    order = cluster()
    order.partition((1, 2), (3,))
    order.write(NodeId(1), 1, primitive("while-3-was-away"))
    order.drain()
    assert order.replies[(NodeId(1), 1)].ok, "without expected_votes any partition writes"
    with caplog.at_level(logging.INFO):
        order.heal()
        order.drain()
    assert len(order.digests()) == 1
    assert order.replicas[NodeId(3)].doc.find_by_id("while-3-was-away") is not None
    assert any("full sync" in r.getMessage() for r in caplog.records)


def test_a_minority_partition_refuses_writes() -> None:
    order = cluster(5, expected_votes=5)
    order.partition((1, 2, 3), (4, 5))
    order.write(NodeId(4), 1, primitive("minority"))
    order.write(NodeId(1), 1, primitive("majority"))
    order.drain()
    assert order.replies[(NodeId(4), 1)].problems[0].code is Code.CIB_NO_QUORUM
    assert order.replies[(NodeId(1), 1)].ok
    order.heal()
    order.drain()
    doc = order.replicas[NodeId(5)].doc
    assert doc.find_by_id("majority") is not None and doc.find_by_id("minority") is None


def test_pushing_an_older_cib_is_a_version_conflict_but_a_diff_push_works() -> None:
    order = cluster()
    order.write(NodeId(1), 1, primitive("d1"))
    order.drain()
    stale = BASE.decode().replace('epoch="1"', 'epoch="0"')
    order.write(NodeId(2), 2, CIBRequest("replace", stale))
    order.drain()
    assert order.replies[(NodeId(2), 2)].problems[0].code is Code.CIB_VERSION_CONFLICT
    assert order.replicas[NodeId(2)].doc.find_by_id("d1") is not None


def test_writes_queued_behind_a_sync_are_applied_after_it_or_refused_when_interrupted() -> None:
    order = cluster()
    group = (NodeId(1), NodeId(2), NodeId(3))

    def new_ring_with_write(request_id: int, rid: str) -> None:
        # Node 2 sees the new ring and writes before node 3 has announced its version,
        # so the write is delivered while the sync is still running.
        order.ring += 1
        order.groups = [group]
        order.queues = {group: []}
        order.step(NodeId(1), order.membership(group))
        order.step(NodeId(2), order.membership(group))
        order.write(NodeId(2), request_id, primitive(rid))
        order.step(NodeId(3), order.membership(group))

    new_ring_with_write(1, "queued")
    order.drain()
    assert order.replies[(NodeId(2), 1)].ok, "applied once the sync finished"
    new_ring_with_write(2, "interrupted")
    for _ in range(3):
        order.deliver_one(group)  # two announcements and the write: still syncing
    assert (NodeId(2), 2) not in order.replies
    order.partition((1, 2, 3))  # another membership change interrupts the sync
    assert order.replies[(NodeId(2), 2)].problems[0].code is Code.CIB_SYNC_INTERRUPTED
    order.drain()
    assert len(order.digests()) == 1
    assert order.replicas[NodeId(1)].doc.find_by_id("interrupted") is None
    assert order.replicas[NodeId(3)].doc.find_by_id("queued") is not None


def test_malformed_peer_messages_are_dropped_and_counted() -> None:
    order = cluster()
    replica = order.replicas[NodeId(1)]
    for junk in (b"not json", b'{"@":"nope"}', b'{"type":"update","request":"{}"}',
                 b'{"@":"cib.update","origin":2,"request_id":1,"request":{}}',
                 CIB_CODEC.encode(CIBUpdate(3, 1, primitive("forged-origin"))),
                 CIB_CODEC.encode(CIBUpdate(2, 1, CIBRequest("bogus")))):
        assert replica.step(0, Delivered(NodeId(2), junk)) == []
    assert replica.status().dropped == 6
    stale = CIB_CODEC.encode(CIBSync(99, b"<x"))
    assert replica.step(0, Delivered(NodeId(2), stale)) == []
    assert replica.status().dropped == 6, "a message of another ring is superseded, not junk"


BOGUS_CONSTRAINT = CIBRequest("create", '<bogus id="x"/>', "constraints")
needs_schema = pytest.mark.skipif(not (SCHEMA_DIR / "pacemaker-3.7.rng").is_file(),
                                  reason="Pacemaker RelaxNG schemas not installed")


@needs_schema
def test_every_replica_checks_the_schema_so_a_forged_peer_write_changes_nothing() -> None:
    """A peer that skipped the check (no schema lookup, or a forged update) broadcasts a
    write whose result does not conform: every replica refuses it; nothing changes."""
    order = cluster(schemas=schema_lookup())
    before = order.digests()
    forged = CIB_CODEC.encode(CIBUpdate(2, 5, BOGUS_CONSTRAINT))
    order.queues[order.group_of(NodeId(2))].append((NodeId(2), forged))
    order.drain()
    assert order.digests() == before
    assert all(r.status().applied == 0 for r in order.replicas.values())
    assert all(r.doc.find_by_id("x") is None for r in order.replicas.values())


@needs_schema
def test_a_client_write_that_does_not_conform_is_refused_with_the_schema_code() -> None:
    order = cluster(schemas=schema_lookup())
    order.write(NodeId(1), 1, BOGUS_CONSTRAINT)
    order.write(NodeId(1), 2, primitive("fine"))
    order.drain()
    refused = order.replies[(NodeId(1), 1)]
    assert not refused.ok and refused.problems[0].code is Code.CIB_SCHEMA_INVALID
    assert refused.problems[0].message == "Update does not conform to the configured schema"
    assert order.replies[(NodeId(1), 2)].ok, "a conforming write still goes through"
    assert len(order.digests()) == 1
    assert order.replicas[NodeId(3)].doc.find_by_id("fine") is not None


def test_without_a_schema_lookup_the_same_write_is_applied() -> None:
    """The check is what refuses it (the test above cannot pass by accident)."""
    order = cluster()
    order.write(NodeId(1), 1, BOGUS_CONSTRAINT)
    order.drain()
    assert order.replies[(NodeId(1), 1)].ok


def random_write(rng: random.Random, request_id: int) -> CIBRequest:
    """Mostly creates of w<N> (checked after heal), plus modifies of the configuration and
    of the status, so both epoch and num_updates move."""
    roll = rng.random()
    if roll < 0.6:
        return primitive(f"w{request_id}")
    if roll < 0.8:
        return CIBRequest("modify", '<crm_config><cluster_property_set id="opts">'
                          f'<nvpair id="opts-x" name="x" value="{rng.randint(0, 99)}"/>'
                          "</cluster_property_set></crm_config>", "crm_config")
    node = rng.randint(1, 5)
    return CIBRequest("modify", f'<status><node_state id="{node}" uname="n{node}" '
                      f'crmd="{rng.choice(["online", "offline"])}"/></status>', "status")


def run_random_schedule(seed: int, nodes: int = 5, steps: int = 60,
                        offload: bool = False) -> AgreedOrder:
    rng = random.Random(seed)
    order = cluster(nodes, expected_votes=nodes, offload=offload)
    down: set[NodeId] = set()
    request_id = 0
    for _ in range(steps):
        roll = rng.random()
        alive = sorted(order.replicas)
        if roll < 0.5:
            request_id += 1
            writer, request = rng.choice(alive), random_write(rng, request_id)
            order.created[(writer, request_id)] = request.operation == "create"
            order.write(writer, request_id, request)
        elif roll < 0.65:
            shuffled = alive[:]
            rng.shuffle(shuffled)
            cut = rng.randint(1, len(shuffled))
            order.partition(tuple(shuffled[:cut]), tuple(shuffled[cut:]))
        elif roll < 0.72 and len(alive) > 2:
            victim = rng.choice(alive)
            order.crash(victim)
            down.add(victim)
        elif roll < 0.8 and down:
            back = sorted(down)[0]
            down.discard(back)
            order.start(back)
            order.heal()
        else:
            for group in order.groups:
                for _ in range(rng.randint(0, 4)):
                    if order.queues[group]:
                        order.deliver_one(group)
                    busy = sorted(order.jobs)
                    if busy and rng.random() < 0.5:  # apply jobs finish at random times
                        order.complete(rng.choice(busy))
    for node in sorted(down):
        order.start(node)
    order.heal()
    order.drain()
    return order


@pytest.mark.parametrize("offload", [False, True], ids=["inline", "offload"])
@pytest.mark.parametrize("seed", range(25))
def test_random_partitions_and_crashes_converge_without_losing_acknowledged_writes(
        seed: int, offload: bool) -> None:
    order = run_random_schedule(seed, offload=offload)
    assert len(order.digests()) == 1, f"seed {seed}: replicas differ after heal"
    doc = next(iter(order.replicas.values())).doc
    for node, request_id in order.acked():
        if order.created.get((node, request_id)):
            assert doc.find_by_id(f"w{request_id}") is not None, f"seed {seed}: lost w{request_id}"


def test_peer_input_never_raises_whatever_it_holds() -> None:
    rng = random.Random(7)
    order = cluster()
    replica = order.replicas[NodeId(1)]
    values: list[object] = [None, 1, -1, "x", [], {}, [1, 2, 3], "<cib/>", "//*", "resources",
                            "<primitive id='a' class='ocf' provider='p' type='t'/>",
                            "<node_state id='2'/>", [0, 1, 2], {"steps": [], "count": 1},
                            '<diff format="2"><version><source/><target/></version>'
                            '<change operation="delete" path="/cib"/></diff>']
    tags = ["cib.update", "cib.applied", "cib.announce", "cib.sync", "nope", None]
    fields = ("ring", "version", "digest", "base_digest", "node_state", "lineage", "xml",
              "origin", "request_id")
    for _ in range(400):
        message: dict[str, object] = {"@": rng.choice(tags)}
        for key in fields:
            if rng.random() < 0.6:
                message[key] = rng.choice(values)
        if rng.random() < 0.7:
            message["request"] = {
                "operation": rng.choice(["create", "modify", "replace", "delete",
                                         "apply-diff", "erase", "bogus", None]),
                "xml": rng.choice(values), "section": rng.choice(values),
                "xpath": rng.choice(values), "options": rng.choice(values),
                "stamp": rng.choice(values), "status_of": rng.choice(values)}
        replica.step(0, Delivered(NodeId(rng.randint(1, 3)), json.dumps(message).encode()))
    assert replica.status().version >= CIBVersion(0, 1, 0)


def test_with_offload_the_agreed_order_waits_for_the_write_being_applied() -> None:
    order = cluster(offload=True)
    order.write(NodeId(1), 1, primitive("first"))
    order.write(NodeId(2), 2, primitive("second"))
    group = order.groups[0]
    order.deliver_one(group)
    assert sorted(order.jobs) == [1, 2, 3], "every replica hands the apply out"
    replica = order.replicas[NodeId(3)]
    before = replica.doc
    assert not replica.awaiting_sync()
    order.deliver_one(group)  # the second write, then a new configuration: both wait
    order.partition(tuple(group))
    assert replica.busy and replica.doc is before and not order.replies
    assert replica.awaiting_sync(), "its copy is not yet the new membership's"
    assert replica.status().digest == before.digest()
    order.complete(NodeId(3))
    assert replica.doc.find_by_id("first") is not None
    assert replica.doc.find_by_id("second") is None, "the next write is its own job"
    assert NodeId(3) in order.jobs and replica.awaiting_sync()
    order.drain()
    assert not replica.awaiting_sync()
    assert sorted(order.replies) == [(NodeId(1), 1), (NodeId(2), 2)]
    assert all(reply.ok for reply in order.replies.values())
    assert len(order.digests()) == 1
    assert order.replicas[NodeId(1)].doc.find_by_id("second") is not None


def test_an_offloaded_write_is_refused_as_an_inline_one_is() -> None:
    inline, offload = cluster(), cluster(offload=True)
    bad = CIBRequest("create", '<primitive id="x" class="ocf" type="Dummy"/>', "nowhere")
    for order in (inline, offload):
        order.write(NodeId(1), 5, bad)
        order.drain()
    assert inline.replies[(NodeId(1), 5)] == offload.replies[(NodeId(1), 5)]
    assert not offload.replies[(NodeId(1), 5)].ok


def test_a_stray_apply_result_changes_nothing() -> None:
    order = cluster(offload=True)
    replica = order.replicas[NodeId(1)]
    before = replica.doc
    assert replica.step(0, ApplyDone(99)) == []
    assert replica.doc is before and not replica.busy


def test_a_copy_below_the_offload_size_hands_out_light_jobs() -> None:
    order = cluster(offload=True)
    small = order.replicas[NodeId(1)]
    small.offload_min_bytes = 1_000_000  # the daemon's OFFLOAD_MIN_BYTES
    small.warm()  # knows its copy's size: a few hundred bytes
    order.write(NodeId(2), 1, primitive("d1"))
    order.deliver_one(order.groups[0])
    assert sorted(order.jobs) == [1, 2, 3] and small.busy, "every write waits for its save"
    assert not order.jobs[NodeId(1)].heavy, "a small copy: the daemon applies it on its loop"
    assert order.jobs[NodeId(2)].heavy, "size unknown (never warmed): heavy"
    order.drain()
    assert order.replies[(NodeId(2), 1)].ok and len(order.digests()) == 1
    assert small.doc.find_by_id("d1") is not None and not small.busy
    big = CIBRequest("create", '<cluster_property_set id="big">' + "".join(
        f'<nvpair id="big-{i}" name="big-{i}" value="{"v" * 80}"/>' for i in range(12_000))
        + "</cluster_property_set>", "crm_config")
    order.write(NodeId(2), 2, big)  # a large write to the small copy: heavy
    order.deliver_one(order.groups[0])
    assert order.jobs[NodeId(1)].heavy and small.busy
    order.drain()
    assert order.replies[(NodeId(2), 2)].ok and small.doc.find_by_id("big") is not None


def test_the_replica_says_which_node_states_its_writes_touched() -> None:
    """What the DC rescans: status writes name their node_state; a sync or a configuration
    write may change anything (None)."""
    order = cluster()
    replica = order.replicas[NodeId(1)]
    assert replica.touched.take() is None  # the first copy and the sync
    for node in ("2", "3"):
        order.write(NodeId(int(node)), 1, CIBRequest(
            "modify", f'<node_state id="{node}" uname="n{node}"/>', "status",
            options=frozenset({"allow-create"}), status_of=node))
    order.drain()
    assert replica.touched.take() == frozenset({"2", "3"})
    assert replica.touched.take() == frozenset()  # a new count
    order.write(NodeId(2), 2, primitive("d1"))
    order.drain()
    assert replica.touched.take() is None

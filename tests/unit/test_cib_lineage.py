"""The lineage of quorate configurations decides a merge (issue 9 item 1), status updates
need no quorum and survive merges from their own node (issue 11 item 2), and the two traced
ways acknowledged writes were lost, replayed by hand on replicas."""

from __future__ import annotations

import logging

import pytest

from hacluster.cib import (
    CIB_CODEC,
    Broadcast,
    CIBReplica,
    CIBRequest,
    CIBVersion,
    Delivered,
    Lineage,
    LocalWrite,
    MembershipChanged,
    parse_persisted,
    persisted_bytes,
)
from hacluster.cib.lineage import Step
from hacluster.common import Code, NodeId
from hacluster.events import Persist, Reply

N = [NodeId(i) for i in range(6)]  # N[1]..N[5]


def primitive(rid: str) -> CIBRequest:
    return CIBRequest("create", f'<primitive id="{rid}" class="ocf" provider="pacemaker" '
                                'type="Dummy"/>', "resources")


def lrm_update(node: int, rsc: str, rc: int = 0) -> CIBRequest:
    """What a controller records for its own node: an op result in its lrm history."""
    return CIBRequest("modify", f'<node_state id="{node}" uname="n{node}"><lrm id="{node}">'
                      f'<lrm_resources><lrm_resource id="{rsc}" type="Dummy" class="ocf">'
                      f'<lrm_rsc_op id="{rsc}_last_0" operation="start" rc-code="{rc}"/>'
                      "</lrm_resource></lrm_resources></lrm></node_state>", "status",
                      options=frozenset({"allow-create"}), status_of=str(node))


class Cluster:
    """Five replicas (quorum 3 of 5 votes) and hand-driven agreed order: every test says
    exactly who delivers what, and whether the delivery came from a breaking ring."""

    def __init__(self) -> None:
        self.replicas = {n: CIBReplica(n) for n in N[1:]}
        self.replies: dict[tuple[NodeId, int], Reply] = {}
        self.ring = 0
        self.form(N[1:])

    def step(self, node: NodeId, event: object) -> list[bytes]:
        sends = []
        for out in self.replicas[node].step(0, event):  # type: ignore[arg-type]
            if isinstance(out, Broadcast):
                sends.append(out.payload)
            elif isinstance(out, Reply):
                self.replies[(node, out.request_id)] = out
            else:
                assert isinstance(out, Persist)
        return sends

    def form(self, group: list[NodeId], quorate: bool | None = None) -> None:
        """A new ring of `group`, synced to the end (every message delivered to all)."""
        self.ring += 4
        quorate = len(group) >= 3 if quorate is None else quorate
        queue = []
        for node in group:
            queue += [(node, p) for p in self.step(node, MembershipChanged(
                tuple(group), self.ring, quorate, 3))]
        self.drain(group, queue)

    def drain(self, group: list[NodeId], queue: list[tuple[NodeId, bytes]],
              quorate: bool = True) -> None:
        while queue:
            sender, payload = queue.pop(0)
            for node in group:
                queue += [(node, p) for p in self.step(node, Delivered(sender, payload,
                                                                       quorate))]

    def write(self, node: NodeId, request_id: int, request: CIBRequest) -> bytes:
        (payload,) = self.step(node, LocalWrite(request_id, request))
        return payload

    def has(self, node: NodeId, rid: str) -> bool:
        return self.replicas[node].doc.find_by_id(rid) is not None


def test_the_latest_quorate_lineage_wins_over_an_equal_version_from_an_older_ring(
        caplog: pytest.LogCaptureFixture) -> None:
    """Issue 9, second traced cause: node 1 applies a write in the old ring, node 3 (the
    write reached it only while the ring broke, in a non-quorate remnant) refuses it, the
    new majority acknowledges another write at the same version; the heal must keep that."""
    c = Cluster()
    c.form([N[1], N[2], N[3]])
    w = c.write(N[1], 1, primitive("unacknowledged"))
    c.step(N[1], Delivered(N[1], w))  # node 1 applies it in the old ring
    c.step(N[3], Delivered(N[1], w, quorate=False))  # flushed into {3}: refused
    assert c.has(N[1], "unacknowledged") and not c.has(N[3], "unacknowledged")
    c.form([N[3], N[4], N[5]])
    c.drain([N[3], N[4], N[5]], [(N[3], c.write(N[3], 2, primitive("acknowledged")))])
    assert c.replies[(N[3], 2)].ok
    assert c.replicas[N[1]].doc.version == c.replicas[N[3]].doc.version == CIBVersion(0, 2, 0)
    with caplog.at_level(logging.ERROR):
        c.form(N[1:])
    for node in N[1:]:
        assert c.has(node, "acknowledged") and not c.has(node, "unacknowledged")
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "dropped" in error and "unacknowledged" in error
    assert c.replicas[N[1]].doc.version > CIBVersion(0, 2, 0), "no copy's version goes back"


def test_writes_queued_behind_a_sync_that_ends_in_a_breaking_ring_are_refused() -> None:
    """Issue 9, first traced cause: the sync's last messages and a queued write arrive only
    while the ring breaks, in a non-quorate remnant; the write must not be applied there."""
    c = Cluster()
    group = (N[1], N[2], N[3])
    c.ring += 4
    announces = [(n, c.step(n, MembershipChanged(group, c.ring, True, 3))[0]) for n in group]
    w = c.write(N[1], 1, primitive("alone"))
    for sender, payload in [announces[0], (N[1], w), *announces[1:]]:
        c.step(N[1], Delivered(sender, payload, quorate=False))
    assert not c.replicas[N[1]].syncing
    assert c.replies[(N[1], 1)].problems[0].code is Code.CIB_NO_QUORUM
    assert not c.has(N[1], "alone")


def test_a_node_records_its_own_status_without_quorum_and_the_merge_keeps_it() -> None:
    c = Cluster()
    c.form([N[1], N[2], N[3]])
    minority = [N[4], N[5]]
    c.form(minority)
    c.drain(minority, [(N[4], c.write(N[4], 1, lrm_update(4, "db"))),
                       (N[4], c.write(N[4], 2, primitive("refused")))])
    assert c.replies[(N[4], 1)].ok, "a status update needs no quorum"
    assert c.replies[(N[4], 2)].problems[0].code is Code.CIB_NO_QUORUM
    c.drain([N[1], N[2], N[3]], [(N[1], c.write(N[1], 3, primitive("config"))),
                                 (N[1], c.write(N[1], 4, lrm_update(1, "web")))])
    assert c.replies[(N[1], 3)].ok and c.replies[(N[1], 4)].ok
    c.form(N[1:])
    digests = {r.status().digest for r in c.replicas.values()}
    assert len(digests) == 1
    doc = c.replicas[N[5]].doc
    assert doc.find_by_id("config") is not None and doc.find_by_id("refused") is None
    assert doc.find_by_id("db_last_0") is not None, "node 4's own history came from node 4"
    assert doc.find_by_id("web_last_0") is not None


def test_a_member_own_node_state_replaces_what_the_winner_held_about_it() -> None:
    c = Cluster()
    c.drain(N[1:], [(N[5], c.write(N[5], 1, lrm_update(5, "old", rc=7)))])
    c.form([N[1], N[2], N[3], N[4]])  # node 5 is away; the majority rewrites its entry
    c.drain(N[1:5], [(N[1], c.write(N[1], 2, CIBRequest(
        "delete", "", xpath="//node_state[@id='5']/lrm", status_of="5")))])
    assert c.replies[(N[1], 2)].ok and c.replicas[N[1]].doc.find_by_id("old_last_0") is None
    c.form(N[1:])
    assert c.replicas[N[1]].doc.find_by_id("old_last_0") is not None, \
        "node 5's own copy of its history wins for node 5"


def test_a_node_without_an_entry_of_its_own_has_none_after_the_merge() -> None:
    c = Cluster()
    c.drain(N[1:], [(N[2], c.write(N[2], 1, lrm_update(2, "x")))])
    c.replicas[N[2]] = CIBReplica(N[2])  # node 2 lost its disk: it knows nothing
    c.form(N[1:])
    assert c.replicas[N[1]].doc.find_by_id("x_last_0") is None, "a merge never invents state"


def test_a_status_update_may_touch_only_its_own_node_state() -> None:
    c = Cluster()
    sneaky = CIBRequest("create", '<primitive id="p" class="ocf" provider="pacemaker" '
                        'type="Dummy"/>', "resources", status_of="1")
    other = CIBRequest("modify", '<node_state id="2" uname="n2"/>', "status",
                       options=frozenset({"allow-create"}), status_of="1")
    admin = CIBRequest("modify", '<cib admin_epoch="7" have-quorum="0"/>', status_of="1")
    c.drain(N[1:], [(N[1], c.write(N[1], 1, sneaky)), (N[1], c.write(N[1], 2, other)),
                    (N[1], c.write(N[1], 3, admin))])
    for request_id in (1, 2, 3):
        assert c.replies[(N[1], request_id)].problems[0].code is Code.CIB_STATUS_OUT_OF_SCOPE
    assert len({r.status().digest for r in c.replicas.values()}) == 1


def test_the_dcs_have_quorum_and_dc_uuid_are_status_written_without_quorum() -> None:
    c = Cluster()
    c.form([N[1], N[2]])  # two of five: no quorum
    before = c.replicas[N[1]].doc.version
    stamp = CIBRequest("modify", '<cib have-quorum="0" dc-uuid="1"/>', status_of="1")
    c.drain([N[1], N[2]], [(N[1], c.write(N[1], 1, stamp))], quorate=False)
    assert c.replies[(N[1], 1)].ok
    assert [c.replicas[n].doc.root.get("have-quorum") for n in (N[1], N[2])] == ["0", "0"]
    after = c.replicas[N[1]].doc.version
    assert after[:2] == before[:2] and after[2] == before[2] + 1, "status: num_updates only"


def test_a_status_update_for_another_member_waits_for_that_member() -> None:
    c = Cluster()
    w = c.write(N[1], 1, CIBRequest("modify", '<node_state id="2" uname="n2" join="member"/>',
                                    "status", options=frozenset({"allow-create"}),
                                    status_of="2"))
    applied = c.step(N[3], Delivered(N[1], w))
    assert applied == [], "only the node it is about confirms a status update"
    c.step(N[1], Delivered(N[1], w))
    assert (N[1], 1) not in c.replies
    (confirm,) = c.step(N[2], Delivered(N[1], w))
    c.step(N[1], Delivered(N[2], confirm))
    assert c.replies[(N[1], 1)].ok


def test_lineage_tells_whether_one_copy_holds_another() -> None:
    old = Lineage((Step(8, 0),), 3)
    newer = Lineage((Step(8, 0), Step(20, 3)), 1)
    forked = Lineage((Step(8, 0), Step(20, 2)), 5)
    assert newer.contains(old) and newer.contains(Lineage((Step(8, 0),), 2))
    assert not forked.contains(old), "the step from ring 8 left after 2 of its 3 writes"
    assert not old.contains(newer)
    assert newer.contains(Lineage()) and newer.contains(Lineage((Step(20, 3),), 0))
    assert old.started(12) == Lineage((Step(8, 0), Step(12, 3)), 0)
    long = Lineage(tuple(Step(r, 1) for r in range(100, 116)), 2)
    assert long.contains(Lineage((Step(4, 0),), 9)) is None, "older than every step kept"
    trimmed = Lineage((Step(30, 5),), 0)  # its base: 5 writes of a lineage no longer known
    assert Lineage((Step(40, 0),), 0).contains(trimmed) is None


def test_the_lineage_is_persisted_with_the_copy_and_read_back() -> None:
    c = Cluster()
    c.drain(N[1:], [(N[1], c.write(N[1], 1, primitive("a")))])
    replica = c.replicas[N[1]]
    data = persisted_bytes(replica.doc, replica.lineage)
    doc, lineage = parse_persisted(data)
    assert lineage == replica.lineage and lineage.count == 1
    assert doc.digest() == replica.doc.digest()
    assert parse_persisted(replica.doc.to_bytes())[1] == Lineage(), "an old file: no lineage"
    assert parse_persisted(b"<?hacluster-lineage 9:x 1?>\n" + doc.to_bytes())[1] == Lineage()


def test_the_wire_messages_are_dataclasses_through_one_codec() -> None:
    c = Cluster()
    payload = c.write(N[1], 1, primitive("a"))
    update = CIB_CODEC.decode(payload)
    assert type(update).__name__ == "CIBUpdate" and update.request == primitive("a")

"""The CIB replica as the node drives it: majority-confirmed acknowledgements, writes
flushed into a minority during a ring change, and the node's request-id map."""

from __future__ import annotations

import random

from hacluster.cib import (
    Broadcast,
    CIBReplica,
    CIBRequest,
    CIBVersion,
    Delivered,
    LocalWrite,
    MembershipChanged,
)
from hacluster.common import Code, NodeId
from hacluster.events import (
    CibWrite,
    CibWritten,
    ClientRequest,
    CpgJoinRequest,
    CpgSendRequest,
    Persist,
    Reply,
)
from hacluster.node_cib import CIBQuorum, NodeCIB

IDS = (NodeId(1), NodeId(2), NodeId(3))
WRITE = CIBRequest("create", '<primitive id="r1" class="ocf" provider="pacemaker" '
                             'type="Dummy"/>', "resources")


def synced_replicas() -> dict[NodeId, CIBReplica]:
    """Three replicas (expected_votes 3) that finished the sync of ring 4."""
    replicas = {n: CIBReplica(n) for n in IDS}
    announcements = []
    for node, replica in replicas.items():
        out = replica.step(0, MembershipChanged(IDS, 4, quorate=True, quorum_votes=2))
        announcements += [(node, o.payload) for o in out if isinstance(o, Broadcast)]
    for sender, payload in announcements:
        for replica in replicas.values():
            replica.step(0, Delivered(sender, payload))
    assert not any(r.syncing for r in replicas.values())
    return replicas


def broadcast_of(outputs: list[object]) -> bytes:
    (payload,) = [o.payload for o in outputs if isinstance(o, Broadcast)]
    return payload


def test_a_write_is_acknowledged_only_once_a_majority_has_applied_it() -> None:
    replicas = synced_replicas()
    update = broadcast_of(replicas[NodeId(1)].step(0, LocalWrite(7, WRITE)))
    mine = replicas[NodeId(1)].step(0, Delivered(NodeId(1), update))
    assert [type(o) for o in mine] == [Persist], "applied and persisted, not yet acknowledged"
    theirs = replicas[NodeId(2)].step(0, Delivered(NodeId(1), update))
    assert isinstance(theirs[0], Persist), "the confirmation follows the Persist"
    applied = broadcast_of(theirs)
    replies = replicas[NodeId(1)].step(0, Delivered(NodeId(2), applied))
    assert replies == [Reply(7, True, CibWritten("0.2.0"))]
    assert replicas[NodeId(1)].status().pending == 0


def test_a_membership_change_fails_writes_still_short_of_a_majority() -> None:
    replicas = synced_replicas()
    update = broadcast_of(replicas[NodeId(1)].step(0, LocalWrite(7, WRITE)))
    replicas[NodeId(1)].step(0, Delivered(NodeId(1), update))
    out = replicas[NodeId(1)].step(0, MembershipChanged((NodeId(1),), 8, False, 2))
    (reply,) = [o for o in out if isinstance(o, Reply)]
    assert not reply.ok and reply.problems[0].code is Code.CIB_SYNC_INTERRUPTED


def test_a_write_flushed_into_a_minority_is_refused_and_not_applied() -> None:
    replicas = synced_replicas()
    update = broadcast_of(replicas[NodeId(1)].step(0, LocalWrite(7, WRITE)))
    out = replicas[NodeId(1)].step(0, Delivered(NodeId(1), update, quorate=False))
    assert len(out) == 1 and isinstance(out[0], Reply) and not out[0].ok
    assert out[0].problems[0].code is Code.CIB_NO_QUORUM
    assert replicas[NodeId(1)].doc.version == CIBVersion(0, 1, 0)


def test_the_node_maps_client_ids_to_ids_unique_per_boot_and_back() -> None:
    replica = CIBReplica(NodeId(1))
    cib = NodeCIB(replica, random.Random(1))
    _, announce = cib.membership(0, (NodeId(1),), 4, CIBQuorum(True, 1, ((NodeId(1), 1),)))
    cib.deliver(0, NodeId(1), announce[0])
    assert not cib.status().syncing
    out, sends = cib.request(0, ClientRequest(1, CibWrite(WRITE.to_bytes())))
    assert out == [] and len(sends) == 1
    assert replica.pending and 1 not in replica.pending, "the replica sees the node's own id"
    out, _ = cib.deliver(0, NodeId(1), sends[0])
    assert [type(o) for o in out] == [Persist, Reply] and out[1] == Reply(1, True,
                                                                          CibWritten("0.2.0"))
    other = NodeCIB(CIBReplica(NodeId(1)), random.Random(2))
    assert other._next_id != cib._next_id - 1


def test_clients_cannot_join_or_send_to_the_cib_group() -> None:
    from hacluster.node import Node

    node = Node(NodeId(1), (NodeId(1),), cib=CIBReplica(NodeId(1)))
    for request in (CpgJoinRequest("cib", 5), CpgSendRequest("cib", 0, b"{}")):
        (reply,) = node.step(0, ClientRequest(3, request))
        assert isinstance(reply, Reply) and not reply.ok
        assert reply.problems[0].code is Code.IPC_BAD_REQUEST and "reserved" in reply.problems[0].message
    (ok,) = node.step(0, ClientRequest(4, CpgJoinRequest("other", 5)))
    assert isinstance(ok, Reply) and ok.ok

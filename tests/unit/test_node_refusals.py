"""Every refusal a node sends a client carries a Problem with a stable code (never prose
for the daemon to guess a code from)."""

from __future__ import annotations

import random

import pytest

from hacluster.common import Code, NodeId
from hacluster.events import (
    AttrUpdate,
    CibQuery,
    ClientRequest,
    CpgJoinRequest,
    DaemonPing,
    Reply,
    SendRequest,
    Shutdown,
    Tick,
)
from hacluster.node import Node
from hacluster.node_services import NodeServices


@pytest.mark.parametrize("request_,code", [
    (DaemonPing(), Code.IPC_UNKNOWN_REQUEST),  # the daemon's, not the node's
    (CibQuery(), Code.IPC_UNKNOWN_REQUEST),  # this node runs no CIB manager
    (SendRequest(b"x" * ((1 << 20) + 1)), Code.IPC_BAD_REQUEST),
    (CpgJoinRequest("", 1), Code.IPC_BAD_REQUEST),
    (CpgJoinRequest("g", -1), Code.IPC_BAD_REQUEST),
])
def test_a_malformed_request_is_refused_with_its_code(request_: object, code: Code) -> None:
    node = Node(NodeId(1), [NodeId(1)], rng=random.Random(1))
    node.step(0, Tick())
    (reply,) = node.step(1, ClientRequest(7, request_))  # type: ignore[arg-type]
    assert isinstance(reply, Reply) and not reply.ok and reply.body is None
    assert [p.code for p in reply.problems] == [code]


def test_a_node_that_left_says_so_with_a_code() -> None:
    node = Node(NodeId(1), [NodeId(1)], rng=random.Random(1))
    node.step(0, Tick())
    node.step(1, Shutdown())
    (reply,) = node.step(2, ClientRequest(8, CpgJoinRequest("g", 1)))
    assert isinstance(reply, Reply) and reply.problems[0].code is Code.NODE_LEFT


def test_a_malformed_attrd_update_is_refused_with_a_code() -> None:
    services = NodeServices("node1")
    out = services.request(0, ClientRequest(9, AttrUpdate("", "pingd", "1", "sometimes")))
    (reply,) = [o for o in out.external if isinstance(o, Reply)]
    assert not reply.ok and reply.problems[0].code is Code.ATTR_INVALID

"""Every refusal a node sends a client carries a Problem with a stable code (never prose
for the daemon to guess a code from)."""

from __future__ import annotations

import random

import pytest

from hacluster.common import Code, NodeId
from hacluster.events import ClientRequest, Reply, Shutdown, Tick
from hacluster.node import Node
from hacluster.node_services import NodeServices


@pytest.mark.parametrize("name,body,code", [
    ("nonsense", None, Code.IPC_UNKNOWN_REQUEST),
    ("send", {}, Code.IPC_BAD_REQUEST),
    ("send", {"data": "text"}, Code.IPC_BAD_REQUEST),
    ("cpg_join", {"group": "", "pid": 1}, Code.IPC_BAD_REQUEST),
    ("cpg_join", {"group": "g", "pid": -1}, Code.IPC_BAD_REQUEST),
])
def test_a_malformed_request_is_refused_with_its_code(name: str, body: object, code: Code) -> None:
    node = Node(NodeId(1), [NodeId(1)], rng=random.Random(1))
    node.step(0, Tick())
    (reply,) = node.step(1, ClientRequest(7, name, body))
    assert isinstance(reply, Reply) and not reply.ok and reply.body is None
    assert [p.code for p in reply.problems] == [code]


def test_a_node_that_left_says_so_with_a_code() -> None:
    node = Node(NodeId(1), [NodeId(1)], rng=random.Random(1))
    node.step(0, Tick())
    node.step(1, Shutdown())
    (reply,) = node.step(2, ClientRequest(8, "cpg_join", {"group": "g", "pid": 1}))
    assert isinstance(reply, Reply) and reply.problems[0].code is Code.NODE_LEFT


def test_a_malformed_attrd_update_is_refused_with_a_code() -> None:
    services = NodeServices("node1")
    out = services.request(0, ClientRequest(9, "attrd_update", {"nonsense": True}))
    (reply,) = [o for o in out.external if isinstance(o, Reply)]
    assert not reply.ok and reply.problems[0].code is Code.ATTR_INVALID

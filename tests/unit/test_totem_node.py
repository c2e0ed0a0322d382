"""node.py: the composed Node's client API and the mapping from corosync.conf."""

from __future__ import annotations

import random
from pathlib import Path

from hacluster.common import NodeId
from hacluster.config import parse_config
from hacluster.events import (
    ClientRequest,
    CpgConfigChange,
    CpgDeliver,
    CpgJoinRequest,
    CpgLeaveRequest,
    CpgSendRequest,
    DaemonPing,
    Deliver,
    NodeStatusQuery,
    ProcessExited,
    Reply,
    SendRequest,
    Tick,
)
from hacluster.node import Node, NodeStatus, params_from_config, quorum_from_config
from hacluster.totem import TotemState


def test_seed_corosync_conf_gives_the_documented_timers(shared: Path) -> None:
    config = parse_config((shared / "eayunstack" / "corosync.conf").read_text())
    params = params_from_config(config)
    assert (params.token_ms, params.consensus_ms, params.join_ms) == (3000, 3600, 60)
    assert params.max_messages == 20
    assert params.hold_ms < params.token_retransmit_ms < params.token_ms
    assert quorum_from_config(config).configured_expected >= 1


def test_client_requests_reach_the_cores_and_status_is_a_snapshot() -> None:
    node = Node(NodeId(1), [NodeId(1)], rng=random.Random(1))
    node.step(0, Tick())
    out = node.step(1, ClientRequest(1, CpgJoinRequest("g", 7)))
    assert out == [Reply(1, True)]
    out = node.step(2, ClientRequest(2, SendRequest(b"hi")))
    assert out == [Reply(2, True)]
    seen = []
    for now in range(3, 50):
        seen += node.step(now, Tick())
    status = node.step(60, ClientRequest(3, NodeStatusQuery()))[0]
    assert isinstance(status, Reply) and isinstance(status.body, NodeStatus)
    assert status.body.state is TotemState.OPERATIONAL and status.body.quorate
    assert status.body.cpg.local == (("g", 7),)
    assert any(getattr(o, "data", None) == b"hi" for o in seen)
    bad = node.step(61, ClientRequest(4, DaemonPing()))[0]  # not the node's to serve
    assert isinstance(bad, Reply) and not bad.ok


def test_malformed_client_requests_get_a_refusal_not_an_exception() -> None:
    node = Node(NodeId(1), [NodeId(1)], rng=random.Random(1))
    node.step(0, Tick())
    bad = [SendRequest(b"x" * ((1 << 20) + 1)), CpgJoinRequest("", 1), CpgJoinRequest("g", -1),
           CpgSendRequest("g" * 200, 1, b""), CpgLeaveRequest("g", 1, "nonsense")]
    for i, request in enumerate(bad):
        reply = node.step(1, ClientRequest(i, request))[0]
        assert isinstance(reply, Reply) and not reply.ok, request


def test_local_requests_are_inputs_of_step() -> None:
    node = Node(NodeId(1), [NodeId(1)], rng=random.Random(1))
    node.step(0, Tick())
    assert node.step(1, CpgJoinRequest("g", 7)) == []
    assert node.step(2, SendRequest(b"hi")) == []
    assert node.step(3, CpgSendRequest("g", 7, b"to-g", safe=True)) == []
    seen = []
    for now in range(4, 60):
        seen += node.step(now, Tick())
    assert any(isinstance(o, Deliver) and o.data == b"hi" for o in seen)
    assert CpgDeliver("g", NodeId(1), 7, b"to-g") in seen
    assert node.status().cpg.local == (("g", 7),)
    node.step(61, ProcessExited(7))
    gone = [o for now in range(62, 120) for o in node.step(now, Tick())
            if isinstance(o, CpgConfigChange)]
    assert gone and gone[-1].left == ((NodeId(1), 7, "procdown"),)
    assert node.status().cpg.local == ()


def test_the_simulator_trace_shows_local_requests() -> None:
    from hacluster.sim import World
    from hacluster.totem import params_for_token

    trace: list[str] = []
    world = World(1, [NodeId(1), NodeId(2)], params_for_token(1000), trace=trace)
    world.run_for(1000)
    world.request(NodeId(2), CpgJoinRequest("g", 5))
    world.submit(NodeId(1))
    assert "1000 request node=2 cpg_join g 5" in trace
    assert any(line.startswith("1000 request node=1 send b'm:1:0:1:") for line in trace)

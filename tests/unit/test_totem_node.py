"""node.py: the composed Node's client API and the mapping from corosync.conf."""

from __future__ import annotations

import random
from pathlib import Path

from hacluster.common import NodeId
from hacluster.config import parse_config
from hacluster.events import ClientRequest, Reply, Tick
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
    out = node.step(1, ClientRequest(1, "cpg_join", {"group": "g", "pid": 7}))
    assert out == [Reply(1, True)]
    out = node.step(2, ClientRequest(2, "send", {"data": b"hi"}))
    assert out == [Reply(2, True)]
    seen = []
    for now in range(3, 50):
        seen += node.step(now, Tick())
    status = node.step(60, ClientRequest(3, "status"))[0]
    assert isinstance(status, Reply) and isinstance(status.body, NodeStatus)
    assert status.body.state is TotemState.OPERATIONAL and status.body.quorate
    assert status.body.cpg.local == (("g", 7),)
    assert any(getattr(o, "data", None) == b"hi" for o in seen)
    bad = node.step(61, ClientRequest(4, "nonsense"))[0]
    assert isinstance(bad, Reply) and not bad.ok


def test_malformed_client_requests_get_a_refusal_not_an_exception() -> None:
    node = Node(NodeId(1), [NodeId(1)], rng=random.Random(1))
    node.step(0, Tick())
    bad = [("send", {}), ("send", {"data": "text"}), ("cpg_join", {"group": "", "pid": 1}),
           ("cpg_join", {"group": "g", "pid": -1}), ("cpg_send", {"group": "g" * 200, "pid": 1,
                                                                 "data": b""}),
           ("cpg_leave", None)]
    for i, (name, body) in enumerate(bad):
        reply = node.step(1, ClientRequest(i, name, body))[0]
        assert isinstance(reply, Reply) and not reply.ok, (name, body)

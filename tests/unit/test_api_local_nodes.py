"""Where `pcs cluster start|stop` finds each node's haclusterd (hacluster.api.local_nodes):
the nodes of corosync.conf, which are of this host, their state dirs, and which ones a
command names."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hacluster.api import local_nodes
from hacluster.api.cluster import ClusterStatus, common_ring
from hacluster.common import Code, HaError
from hacluster.events import RingView

CONF = """totem {
    version: 2
    cluster_name: t
    transport: udpu
}
nodelist {
    node {
        ring0_addr: 127.0.0.1
        name: node-1
        nodeid: 1
    }
    node {
        ring0_addr: 127.0.0.2
        name: node-2
        nodeid: 2
    }
    node {
        ring0_addr: 10.9.9.9
        name: far
        nodeid: 3
    }
}
quorum {
    provider: corosync_votequorum
}
"""


def loopback(address: str) -> bool:
    return address.startswith("127.")


def test_nodes_of_this_host_get_a_state_dir_under_the_root_by_name() -> None:
    nodes = local_nodes.locate_in_text(CONF, loopback, "/srv/ha/")
    assert [(n.name, n.node_id, n.address, n.state_dir) for n in nodes] == [
        ("node-1", 1, "127.0.0.1", "/srv/ha/node-1"), ("node-2", 2, "127.0.0.2", "/srv/ha/node-2"),
        ("far", 3, "10.9.9.9", "")]
    assert [n.is_local for n in nodes] == [True, True, False]


def test_one_node_on_this_host_uses_the_tools_default_state_dir() -> None:
    nodes = local_nodes.locate_in_text(CONF, lambda a: a == "127.0.0.2", None, "/run/x")
    assert [n.state_dir for n in nodes] == ["", "/run/x", ""]
    nodes = local_nodes.locate_in_text(CONF, lambda a: a == "127.0.0.2")
    assert nodes[1].state_dir == "/var/lib/hacluster"
    several = local_nodes.locate_in_text(CONF, loopback)
    assert [n.state_dir for n in several[:2]] == ["/var/lib/hacluster/node-1",
                                                  "/var/lib/hacluster/node-2"]


def test_a_command_names_all_some_or_this_hosts_node() -> None:
    nodes = local_nodes.locate_in_text(CONF, loopback, "/srv")
    assert [n.name for n in local_nodes.select_nodes(nodes, [], True)] == ["node-1", "node-2",
                                                                          "far"]
    assert [n.name for n in local_nodes.select_nodes(nodes, ["node-2", "node-2"], False)] == [
        "node-2"]
    mine = local_nodes.select_nodes(nodes, [], False, "/srv/node-2/")
    assert [n.name for n in mine] == ["node-2"]


def test_unknown_nodes_are_all_reported_and_all_with_names_is_refused() -> None:
    nodes = local_nodes.locate_in_text(CONF, loopback, "/srv")
    with pytest.raises(HaError) as caught:
        local_nodes.select_nodes(nodes, ["x", "node-1", "y"], False)
    assert [p.message for p in caught.value.problems] == [
        "Node 'x' does not appear to exist in configuration",
        "Node 'y' does not appear to exist in configuration"]
    with pytest.raises(HaError) as both:
        local_nodes.select_nodes(nodes, ["node-1"], True)
    assert both.value.problems[0].code is Code.USAGE
    with pytest.raises(HaError) as ambiguous:
        local_nodes.select_nodes(nodes, [], False)
    assert "several nodes of the cluster run on this host" in ambiguous.value.problems[0].message
    with pytest.raises(HaError) as none:
        local_nodes.select_nodes(local_nodes.locate_in_text(CONF, lambda a: False), [], False)
    assert none.value.problems[0].message == "cluster is not currently configured on this node"


def status(quorate: bool, total: int, quorum: int) -> ClusterStatus:
    return ClusterStatus(1, "127.0.0.1", 5405, "udpu", "t", (1, 2, 3), {}, {}, "1.4",
                         (1, 2), quorate, 3, 3, total, quorum, (), {1: 1, 2: 1}, ())


def test_stopping_the_node_that_holds_the_quorum_is_detected() -> None:
    assert local_nodes.stopping_loses_quorum(status(True, 2, 2))
    assert not local_nodes.stopping_loses_quorum(status(True, 3, 2))
    assert not local_nodes.stopping_loses_quorum(status(False, 1, 2))


def test_a_node_is_started_once_in_its_ring_with_its_cib_synced() -> None:
    view = RingView("1.4", (1, 2), "OPERATIONAL", cib_syncing=False)
    assert local_nodes.is_fully_started(view, 1)
    assert not local_nodes.is_fully_started(replace(view, cib_syncing=True), 1)
    assert not local_nodes.is_fully_started(replace(view, cib_syncing=None), 1)
    assert not local_nodes.is_fully_started(replace(view, members=(2,)), 1)
    assert not local_nodes.is_fully_started(replace(view, ring_id=""), 1)
    assert not local_nodes.is_fully_started(None, 1)


def view(node_id: int, ring_id: str, members: tuple[int, ...]) -> ClusterStatus:
    return replace(status(True, 3, 2), node_id=node_id, ring_id=ring_id,
                   members=members)


def test_a_common_ring_is_one_ring_of_exactly_the_nodes_asked() -> None:
    both = [view(1, "1.8", (1, 2)), view(2, "1.8", (1, 2))]
    assert common_ring(both) == ("1.8", (1, 2))
    assert common_ring([*both, None]) is None, "a node that does not answer"
    assert common_ring([view(1, "1.8", (1, 2)), view(2, "2.9", (1, 2))]) is None
    assert common_ring([view(1, "1.8", (1, 2, 3)), view(2, "1.8", (1, 2, 3))]) is None
    assert common_ring([view(1, "", (1,))]) is None, "no ring yet"
    assert common_ring([]) is None

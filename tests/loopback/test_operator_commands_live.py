"""The seed's and SPEC.md §8's operator commands on a live 3-node loopback cluster running a
Debian Dummy and a Dummy clone (tests/unit/test_operator_commands.py runs them all on a
file): status and locate, disable/enable, move away and clear, ban a clone's primitive on one
node (only that instance stops) and clear, cleanup, crm's views, pcs cluster cib."""

from __future__ import annotations

import pytest
from harness import Cluster, Daemon, wait_until
from test_cib_live import tool
from test_resources_live import OCF_DUMMY, running_on, start_with_dummy

pytestmark = [pytest.mark.skipif(not OCF_DUMMY.exists(), reason="resource-agents not installed"),
              pytest.mark.slow]


def clone_nodes(daemons: list[Daemon]) -> list[str]:
    return sorted(f"node{d.index}" for d in daemons
                  if list((d.state_dir / "rsctmp").glob("Dummy-dc*.state")))


def ok(daemon: Daemon, *argv: str) -> str:
    done = tool(daemon, *argv)
    assert done.returncode == 0, (argv, done.stdout, done.stderr)
    return done.stdout + done.stderr


def test_operator_commands_on_a_live_cluster(cluster: Cluster) -> None:
    daemons = start_with_dummy(cluster)
    ok(daemons[0], "pcs", "resource", "create", "dc", "ocf:heartbeat:Dummy", "clone")
    assert wait_until(lambda: len(running_on(daemons)) == 1
                      and len(clone_nodes(daemons)) == 3, 90, 0.3), cluster.logs()
    where = running_on(daemons)[0]
    # the agents ran; their starts' records reach every CIB copy a moment later
    assert wait_until(lambda: f"resource dummy is running on: {where}" in ok(
        daemons[1], "crm_resource", "--locate", "--resource", "dummy") and ok(
        daemons[2], "crm_resource", "--locate", "--resource", "dc-clone").count(
        "resource dc-clone is running on: node") == 3 and "dummy\t(ocf:heartbeat:Dummy):"
        "\t Started " + where in ok(daemons[0], "pcs", "resource"), 30, 0.3), cluster.logs()
    assert 'id="dummy"' in ok(daemons[1], "pcs", "cluster", "cib")
    assert "Cluster name: live" in ok(daemons[0], "pcs", "status")

    ok(daemons[0], "pcs", "resource", "disable", "dummy")
    assert wait_until(lambda: running_on(daemons) == [], 60, 0.3), cluster.logs()
    ok(daemons[1], "pcs", "resource", "enable", "dummy")
    assert wait_until(lambda: len(running_on(daemons)) == 1, 60, 0.3), cluster.logs()
    where = running_on(daemons)[0]
    assert wait_until(lambda: f"running on: {where}" in ok(  # a move bans where the CIB says
        daemons[2], "crm_resource", "--locate", "--resource", "dummy"), 30, 0.3)
    ok(daemons[2], "crm_resource", "--move", "--resource", "dummy")  # away: cli-ban
    assert wait_until(lambda: running_on(daemons) not in ([], [where]), 60, 0.3), \
        cluster.logs()
    assert "cli-ban-dummy-on-" + where in ok(daemons[0], "pcs", "constraint", "--full")
    ok(daemons[0], "pcs", "resource", "clear", "dummy")
    assert "cli-" not in ok(daemons[0], "pcs", "constraint", "--full")

    ok(daemons[1], "pcs", "resource", "ban", "dc", "node2")
    assert wait_until(lambda: clone_nodes(daemons) == ["node1", "node3"], 60, 0.3), \
        cluster.logs()
    ok(daemons[1], "pcs", "resource", "clear", "dc", "node2")
    assert wait_until(lambda: len(clone_nodes(daemons)) == 3, 60, 0.3), cluster.logs()
    ok(daemons[0], "crm_resource", "--cleanup", "--resource", "dummy")
    assert "dummy" in ok(daemons[2], "crm", "status")
    assert "primitive dummy Dummy" in ok(daemons[2], "crm", "configure", "show")

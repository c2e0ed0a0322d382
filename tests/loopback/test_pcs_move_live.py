"""pcs and crm_resource move a running resource on a live loopback cluster: locate answers
where the Dummy runs, `pcs resource move` (pcs 0.11: move, wait, drop the constraint) moves
it, a ban moves it off a node, a restart stops and starts it, and disable stops it."""

from __future__ import annotations

import pytest
from harness import Cluster, wait_until
from test_cib_live import tool
from test_resources_live import OCF_DUMMY, running_on, start_with_dummy

pytestmark = pytest.mark.skipif(not OCF_DUMMY.exists(), reason="resource-agents not installed")


def test_move_ban_and_disable_a_running_dummy(cluster: Cluster) -> None:
    daemons = start_with_dummy(cluster)
    assert wait_until(lambda: len(running_on(daemons)) == 1, 60, 0.2), cluster.logs()
    where = running_on(daemons)[0]
    # the agent ran; its start's record reaches every CIB copy a moment later
    assert wait_until(lambda: tool(daemons[1], "crm_resource", "--locate", "-r", "dummy")
                      .stdout.strip() == f"resource dummy is running on: {where}", 30, 0.2), \
        cluster.logs()
    target = next(f"node{d.index}" for d in daemons if f"node{d.index}" != where)
    moved = tool(daemons[0], "pcs", "resource", "move", "dummy", target, "--wait=60")
    assert moved.returncode == 0, moved.stderr
    assert wait_until(lambda: running_on(daemons) == [target], 60, 0.2), cluster.logs()
    left = tool(daemons[0], "pcs", "constraint", "ref", "dummy")
    assert "cli-prefer-dummy" not in left.stdout  # pcs 0.11's move leaves no constraint
    banned = tool(daemons[2], "crm_resource", "--ban", "-r", "dummy", "--node", target)
    assert banned.returncode == 0, banned.stderr
    assert wait_until(lambda: running_on(daemons) not in ([], [target]), 60, 0.2), \
        cluster.logs()
    restarted = tool(daemons[0], "crm_resource", "--restart", "-r", "dummy", "--timeout", "60s")
    assert restarted.returncode == 0, restarted.stderr
    assert wait_until(lambda: len(running_on(daemons)) == 1, 60, 0.2), cluster.logs()
    disabled = tool(daemons[1], "pcs", "resource", "disable", "dummy")
    assert disabled.returncode == 0, disabled.stderr
    assert wait_until(lambda: running_on(daemons) == [], 60, 0.2), cluster.logs()

"""Resources on a live loopback cluster: three haclusterd run Debian's ocf:heartbeat:Dummy
exactly once, move it when its node is killed, and the real Pacemaker tools read our CIB."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from harness import Cluster, Daemon, ring_of, wait_until
from test_cib_live import same_cib, tool

from hacluster.events import CibQuery

OCF_DUMMY = Path("/usr/lib/ocf/resource.d/heartbeat/Dummy")
pytestmark = pytest.mark.skipif(not OCF_DUMMY.exists(), reason="resource-agents not installed")

RESOURCE = ('<primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy">'
            '<operations><op id="dummy-monitor-1s" name="monitor" interval="1s" timeout="20s"/>'
            '</operations></primitive>')
PROPS = ('<cluster_property_set id="cib-bootstrap-options">'
         '<nvpair id="opt-stonith" name="stonith-enabled" value="false"/>'
         '<nvpair id="opt-quorum" name="no-quorum-policy" value="stop"/>'
         '</cluster_property_set>')
STICKY = ('<meta_attributes id="rsc-options"><nvpair id="rsc-stickiness" '
          'name="resource-stickiness" value="100"/></meta_attributes>')


def nodelist_config(port: int, token_ms: int = 1000, consensus_ms: int = 1200) -> str:
    nodes = "".join(f"    node {{\n        ring0_addr: 127.0.0.{n}\n        name: node{n}\n"
                    f"        nodeid: {n}\n    }}\n" for n in (1, 2, 3))
    return ("totem {\n    version: 2\n    cluster_name: live\n    transport: udpu\n"
            f"    token: {token_ms}\n    consensus: {consensus_ms}\n    secauth: off\n"
            f"    interface {{\n        ringnumber: 0\n        mcastport: {port}\n    }}\n}}\n"
            f"nodelist {{\n{nodes}}}\n"
            "quorum {\n    provider: corosync_votequorum\n}\n"
            "logging {\n    to_stderr: yes\n    timestamp: on\n    debug: off\n}\n")


def start_with_dummy(cluster: Cluster, token_ms: int = 1000) -> list[Daemon]:
    text = nodelist_config(cluster.port, token_ms, int(token_ms * 1.2))
    daemons = [cluster.add(i, text) for i in (1, 2, 3)]
    for daemon in daemons:
        daemon.start()
    assert wait_until(lambda: ring_of(daemons), 20), cluster.logs()
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    for section, xml in (("crm_config", PROPS), ("rsc_defaults", STICKY),
                         ("resources", RESOURCE)):
        done = tool(daemons[0], "cibadmin", *write_verb(section), "-o", section, "-X", xml)
        assert done.returncode == 0, done.stderr
    return daemons


def write_verb(section: str) -> tuple[str, ...]:
    """How the test writes a section: cib-bootstrap-options may already exist (the DC adds
    dc-version to it once quorate, as Pacemaker's does), so crm_config is merged into
    (--modify --allow-create); the other sections are created."""
    return ("-M", "-c") if section == "crm_config" else ("-C",)


def cib_text(daemon: Daemon) -> str:
    return str(daemon.call(CibQuery()).xml)


def running_on(daemons: list[Daemon]) -> list[str]:
    """Nodes whose Dummy state file exists (each node has its own HA_RSCTMP)."""
    return sorted(f"node{d.index}" for d in daemons
                  if list((d.state_dir / "rsctmp").glob("Dummy-dummy.state")))


def settled(daemons: list[Daemon]) -> str | None:
    """The common CIB text once every copy agrees and one node runs the Dummy with its
    monitor recorded."""
    if not same_cib(daemons):
        return None
    text = cib_text(daemons[0])
    if len(running_on(daemons)) != 1 or 'operation_key="dummy_monitor_1000"' not in text:
        return None
    return text


def test_three_nodes_run_a_debian_dummy_exactly_once_and_the_real_tools_agree(
        cluster: Cluster, tmp_path: Path) -> None:
    daemons = start_with_dummy(cluster)
    text = wait_until(lambda: settled(daemons), 30, 0.2)
    assert text, cluster.logs()
    assert 'dc-uuid="1"' in text and 'have-quorum="1"' in text
    mon = tool(daemons[1], "crm_mon", "-1")
    assert mon.returncode == 0, mon.stderr
    assert "Online: [ node1 node2 node3 ]" in mon.stdout, mon.stdout
    assert re.search(r"dummy\s+\(ocf:heartbeat:Dummy\):\s+Started node\d", mon.stdout), mon.stdout
    assert "Current DC: node1" in mon.stdout and "partition with quorum" in mon.stdout
    holder = running_on(daemons)[0]
    located = tool(daemons[2], "crm_resource", "--locate", "--resource", "dummy")
    assert located.stdout.strip() == f"resource dummy is running on: {holder}", located.stdout
    simulated = tool(daemons[0], "crm_simulate", "-L", "-S")  # ours sees the live state too
    assert f"Started {holder}" in simulated.stdout, simulated.stdout
    exported = tool(daemons[2], "cibadmin", "-Q")
    assert exported.returncode == 0
    cib_file = tmp_path / "live.xml"
    cib_file.write_text(exported.stdout)
    if shutil.which("/usr/sbin/crm_simulate") is None:
        pytest.skip("the real crm_simulate is not installed")
    env = {**os.environ, "CIB_file": str(cib_file)}
    real = subprocess.run(["/usr/sbin/crm_simulate", "-S", "-x", str(cib_file)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert real.returncode == 0, real.stderr
    executing = real.stdout.split("Executing Cluster Transition:")[1].split("Revised")[0]
    assert not executing.strip(), real.stdout  # the real scheduler plans no action at all
    real_mon = subprocess.run(["/usr/sbin/crm_mon", "-1"], capture_output=True, text=True,
                              timeout=60, env=env)
    assert "Online: [ node1 node2 node3 ]" in real_mon.stdout, real_mon.stdout + real_mon.stderr
    assert re.search(r"dummy\s+\(ocf:heartbeat:Dummy\):\s+Started node\d", real_mon.stdout)


def test_sigkill_of_the_node_running_the_dummy_starts_it_on_a_survivor(
        cluster: Cluster) -> None:
    daemons = start_with_dummy(cluster, token_ms=1000)
    assert wait_until(lambda: settled(daemons), 30, 0.2), cluster.logs()
    [holder] = running_on(daemons)
    victim = daemons[int(holder[-1]) - 1]
    victim.kill()
    # A machine that dies takes its processes along: its Dummy state goes with it.
    for state in (victim.state_dir / "rsctmp").glob("Dummy-*"):
        state.unlink()
    killed = time.monotonic()
    survivors = [d for d in daemons if d is not victim]
    moved = wait_until(lambda: running_on(survivors), 20, 0.01)
    elapsed_ms = (time.monotonic() - killed) * 1000
    assert moved and len(moved) == 1, cluster.logs()
    print(f"failover after SIGKILL: {elapsed_ms:.0f} ms")
    assert elapsed_ms < 5000, cluster.logs()


def test_sigterm_stops_the_resources_of_a_node_before_it_leaves(cluster: Cluster) -> None:
    daemons = start_with_dummy(cluster)
    assert wait_until(lambda: settled(daemons), 30, 0.2), cluster.logs()
    [holder] = running_on(daemons)
    leaving = daemons[int(holder[-1]) - 1]
    leaving.signal(signal.SIGTERM)
    assert leaving.wait(30) == 0, cluster.logs()
    survivors = [d for d in daemons if d is not leaving]
    assert running_on([leaving]) == [], "the leaving node stopped its Dummy"
    assert wait_until(lambda: running_on(survivors), 20, 0.05), cluster.logs()


def test_a_lone_survivor_records_that_it_has_no_quorum_and_stops_its_dummy(
        cluster: Cluster) -> None:
    """have-quorum is the DC's status: the survivor, its own DC without quorum, writes "0"
    (Pacemaker's DC does; a refused root write left "1"), and no-quorum-policy=stop
    stops the Dummy it holds."""
    daemons = start_with_dummy(cluster)
    assert wait_until(lambda: settled(daemons), 30, 0.2), cluster.logs()
    [holder] = running_on(daemons)
    survivor = daemons[int(holder[-1]) - 1]
    for daemon in daemons:
        if daemon is not survivor:
            daemon.kill()
    assert wait_until(lambda: 'have-quorum="0"' in cib_text(survivor)
                      and f'dc-uuid="{survivor.index}"' in cib_text(survivor)
                      and not running_on([survivor]), 30, 0.2), cluster.logs()
    mon = tool(survivor, "crm_mon", "-1")
    assert f"Current DC: {holder}" in mon.stdout, mon.stdout
    assert "partition WITHOUT quorum" in mon.stdout, mon.stdout

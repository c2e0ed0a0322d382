"""attrd and fencing on a live loopback cluster: stonith_admin and the shipped fence_hacluster
really power a node's daemon off, a SIGKILLed node is fenced before its Dummy runs elsewhere,
and node attributes set with attrd_updater (by hand or by ocf:pacemaker:ping) reach the
scheduler's location rules."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from harness import Cluster, Daemon, ring_of, wait_until
from test_cib_live import same_cib, tool
from test_resources_live import cib_text, nodelist_config, running_on, write_verb

OCF_DUMMY = Path("/usr/lib/ocf/resource.d/heartbeat/Dummy")
pytestmark = pytest.mark.skipif(not OCF_DUMMY.exists(), reason="resource-agents not installed")

DUMMY = ('<primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy">'
         '<operations><op id="dummy-monitor-1s" name="monitor" interval="1s" timeout="20s"/>'
         '</operations></primitive>')
PINGD_RULE = ('<rsc_location id="dummy-needs-ping" rsc="dummy"><rule id="r" score="-INFINITY" '
              'boolean-op="or"><expression id="e1" attribute="pingd" operation="not_defined"/>'
              '<expression id="e2" attribute="pingd" operation="lte" value="0" type="number"/>'
              '</rule></rsc_location>')
PING_CLONE = ('<clone id="ping-clone"><primitive id="ping" class="ocf" provider="pacemaker" '
              'type="ping"><instance_attributes id="ping-i">'
              '<nvpair id="ping-h" name="host_list" value="127.0.0.1"/>'
              '<nvpair id="ping-d" name="dampen" value="1s"/>'
              '<nvpair id="ping-m" name="multiplier" value="1000"/></instance_attributes>'
              '<operations><op id="ping-mon" name="monitor" interval="2s" timeout="20s"/>'
              '</operations></primitive></clone>')


def props(stonith: bool) -> str:
    return ('<cluster_property_set id="cib-bootstrap-options">'
            f'<nvpair id="opt-stonith" name="stonith-enabled" value="{str(stonith).lower()}"/>'
            '<nvpair id="opt-quorum" name="no-quorum-policy" value="stop"/>'
            '</cluster_property_set>')


def fence_device(daemons: list[Daemon]) -> str:
    plugs = ";".join(f"node{d.index}:{d.state_dir}" for d in daemons)
    return ('<primitive id="fence-test" class="stonith" type="fence_hacluster">'
            f'<instance_attributes id="ft-i"><nvpair id="ft-map" name="pcmk_host_map" '
            f'value="{plugs}"/></instance_attributes></primitive>')


def start(cluster: Cluster, stonith: bool, sections: list[tuple[str, str]]) -> list[Daemon]:
    text = nodelist_config(cluster.port)
    daemons = [cluster.add(i, text) for i in (1, 2, 3)]
    for daemon in daemons:
        daemon.start()
    assert wait_until(lambda: ring_of(daemons), 20), cluster.logs()
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    writes = [("crm_config", props(stonith))] + [
        (s, x.replace("@FENCE@", fence_device(daemons))) for s, x in sections]
    for section, xml in writes:
        done = tool(daemons[0], "cibadmin", *write_verb(section), "-o", section, "-X", xml)
        assert done.returncode == 0, done.stderr
    return daemons


def plans_nothing(daemon: Daemon) -> bool:
    """Our crm_simulate -L on `daemon`'s live CIB schedules no action (settled)."""
    shown = tool(daemon, "crm_simulate", "-L", "-S").stdout
    executing = shown.partition("Executing Cluster Transition:")[2].split("Revised")[0]
    return "Executing Cluster Transition:" in shown and not executing.strip()


def fence_started(daemons: list[Daemon]) -> bool:
    return 'operation_key="fence-test_start_0"' in cib_text(daemons[0])


def test_stonith_admin_reboots_a_node_by_killing_its_daemon(cluster: Cluster) -> None:
    daemons = start(cluster, True, [("resources", "@FENCE@")])
    assert wait_until(lambda: fence_started(daemons), 30, 0.1), cluster.logs()
    listed = tool(daemons[1], "stonith_admin", "--list-registered")
    assert listed.stdout == " fence-test\n1 fence device found\n", listed.stderr
    fenced = tool(daemons[0], "stonith_admin", "--reboot", "node3")
    assert fenced.returncode == 0, fenced.stderr + cluster.logs()
    assert fenced.stdout.strip() == "Node node3 fenced by fence-test"
    assert daemons[2].wait(5) == -9, "the daemon was powered off by SIGKILL"
    history = wait_until(lambda: "reboot of node3 successful" in (out := tool(
        daemons[1], "stonith_admin", "--history", "*").stdout) and out, 10, 0.1)
    assert history and "delegate=node1" in history, history
    refused = tool(daemons[0], "stonith_admin", "--reboot", "node9")
    assert refused.returncode == 1 and "no fence device can fence node9" in refused.stderr


@pytest.mark.slow
def test_a_killed_node_is_fenced_before_its_dummy_starts_on_a_survivor(cluster: Cluster) -> None:
    daemons = start(cluster, True, [("resources", "@FENCE@"), ("resources", DUMMY)])
    assert wait_until(lambda: len(running_on(daemons)) == 1 and fence_started(daemons), 40,
                      0.1), cluster.logs()
    [holder] = running_on(daemons)
    victim = daemons[int(holder[-1]) - 1]
    victim.kill()  # its Dummy state stays behind until fencing powers the "machine" off
    killed = time.monotonic()
    survivors = [d for d in daemons if d is not victim]
    moved = wait_until(lambda: running_on(survivors), 30, 0.01)
    elapsed_ms = (time.monotonic() - killed) * 1000
    assert moved and len(moved) == 1, cluster.logs()
    assert running_on([victim]) == [], "fencing wiped the dead node's agent state first"
    history = tool(survivors[0], "stonith_admin", "--history", holder).stdout
    assert f"reboot of {holder} successful" in history, history + cluster.logs()
    print(f"failover with fencing after SIGKILL: {elapsed_ms:.0f} ms")


def test_attrd_updater_sets_pingd_and_the_dummy_follows_it(cluster: Cluster) -> None:
    daemons = start(cluster, False, [("resources", DUMMY), ("constraints", PINGD_RULE)])
    # every node has a record of it (probed; the node that started it before the rule came
    # has stopped it) and the scheduler plans nothing more
    assert wait_until(lambda: cib_text(daemons[0]).count('id="dummy_last_0"') == 3
                      and plans_nothing(daemons[0]), 30, 0.2), cluster.logs()
    assert running_on(daemons) == [], "no node has pingd: the Dummy has nowhere to run"
    done = tool(daemons[0], "attrd_updater", "-n", "pingd", "-U", "100", "-N", "node2")
    assert done.returncode == 0, done.stderr
    assert wait_until(lambda: running_on(daemons) == ["node2"], 20, 0.05), cluster.logs()
    query = tool(daemons[2], "attrd_updater", "-Q", "-n", "pingd", "-A")
    assert query.stdout == 'name="pingd" host="node2" value="100"\n', query.stderr
    assert wait_until(lambda: re.search(r'id="status-2-pingd" name="pingd" value="100"',
                                        cib_text(daemons[2])), 10, 0.05), cluster.logs()
    mine = tool(daemons[1], "attrd_updater", "-Q", "-n", "pingd")
    assert mine.stdout.strip() == 'name="pingd" host="node2" value="100"'
    assert tool(daemons[1], "attrd_updater", "-Q", "-n", "nothing").returncode == 105
    # crm_attribute: transient values go through attrd, properties into the CIB.
    done = tool(daemons[2], "crm_attribute", "-N", "node3", "-n", "pingd", "-l", "reboot",
                "-v", "50")
    assert done.returncode == 0, done.stderr
    assert wait_until(lambda: 'id="status-3-pingd" name="pingd" value="50"' in cib_text(
        daemons[0]), 10, 0.05), cluster.logs()
    mine = tool(daemons[2], "attrd_updater", "-Q", "-n", "pingd")
    assert mine.stdout == 'name="pingd" host="node3" value="50"\n'
    assert tool(daemons[0], "crm_attribute", "-n", "batch-limit", "-v", "7").returncode == 0
    # acknowledged once a quorum has it: the third copy may apply it a moment later
    expected = "scope=crm_config  name=batch-limit value=7\n"
    assert wait_until(lambda: tool(daemons[1], "crm_attribute", "-n", "batch-limit", "-G")
                      .stdout == expected, 10, 0.05), cluster.logs()


DEBIAN_PING = Path("/usr/lib/ocf/resource.d/pacemaker/ping")


@pytest.mark.slow
@pytest.mark.parametrize("ocf_root", ["", "/usr/lib/ocf"], ids=["shipped", "debian"])
def test_the_ping_agents_pingd_values_reach_the_location_rule(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch, ocf_root: str) -> None:
    if ocf_root:
        if not DEBIAN_PING.exists():
            pytest.skip("Debian's ocf:pacemaker:ping is not installed")
        monkeypatch.setenv("OCF_ROOT", ocf_root)  # searched before hacluster's own agents
    daemons = start(cluster, False, [("resources", PING_CLONE), ("resources", DUMMY),
                                     ("constraints", PINGD_RULE)])
    assert wait_until(lambda: len(running_on(daemons)) == 1, 60, 0.1), cluster.logs()
    # the Dummy may start once one node has pingd; each ping publishes after its own dampen
    expected = [f'name="pingd" host="node{n}" value="1000"' for n in (1, 2, 3)]
    assert wait_until(lambda: sorted(tool(daemons[0], "attrd_updater", "-Q", "-n", "pingd",
                                          "-A").stdout.splitlines()) == expected, 30, 0.2), \
        cluster.logs()

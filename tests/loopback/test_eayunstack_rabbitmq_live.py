"""SPEC.md §8 A15/A16 live: clone_p_rabbitmq-server with the real ocf:rabbitmq:rabbitmq-server
and real RabbitMQ on three haclusterd (root only; slow).

Each node's broker gets its own Erlang node name, ports, mnesia and pid file
(hacluster.agents.rabbitmq_lab) through instance attributes with #uname rules (one CIB);
the agent asks our crm_node and attrd_updater for the partition and the advertised
brokers. The cold start of all three instances in one transition forms one RabbitMQ
cluster with the ha-all policy (one bootstraps, the others join it); a broker killed on
one node is recovered in place by the cluster: it wipes its mnesia and rejoins the others;
the only broker left (the others banned) bootstraps at once when restarted, without
waiting for the peers the cluster will not start.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from eayunstack_live import wait_until
from harness import pick_port
from lxml import etree

from hacluster.agents import procs
from hacluster.agents.rabbitmq_lab import (
    RabbitLab,
    epmd_running,
    pick_slot,
    stop_epmd,
    why_not_here,
)
from hacluster.demo.cluster import DemoCluster, live_config_text
from hacluster.demo.files import data_file
from hacluster.demo.realagents import rule_block

pytestmark = pytest.mark.slow
NODES = ("node-1", "node-2", "node-3")
# long, so that a node waiting for peers the cluster will not start (2 x 150 s for node-3)
# is told apart from one that bootstraps at once, whatever the load
BOOTSTRAP_WAIT_S = 150
PROPS = ('<crm_config><cluster_property_set id="cib-bootstrap-options">'
         '<nvpair id="o1" name="stonith-enabled" value="false"/>'
         '<nvpair id="o2" name="no-quorum-policy" value="ignore"/>'
         '<nvpair id="o3" name="symmetric-cluster" value="true"/>'
         '</cluster_property_set></crm_config>')


def configuration(lab: RabbitLab) -> str:
    prim = etree.Element("primitive", id="p_rabbitmq-server", **{"class": "ocf"},
                         provider="rabbitmq", type="rabbitmq-server")
    for node in NODES:
        params = {**lab.params(node), "bootstrap_wait": str(BOOTSTRAP_WAIT_S)}
        prim.append(rule_block("p_rabbitmq-server", node, params))
    ops = etree.SubElement(prim, "operations")
    for name, interval, timeout in (("monitor", "10s", "60s"), ("start", "0", "360s"),
                                    ("stop", "0", "120s")):
        etree.SubElement(ops, "op", id=f"p_rabbitmq-server-{name}-{interval}", name=name,
                         interval=interval, timeout=timeout)
    clone = etree.Element("clone", id="clone_p_rabbitmq-server")
    clone.append(prim)
    nodes = "".join(f'<node id="{i}" uname="{n}"/>' for i, n in enumerate(NODES, start=1))
    return (f"<configuration>{PROPS}<nodes>{nodes}</nodes><resources>"
            f"{etree.tostring(clone).decode()}</resources><constraints/></configuration>")


def listening() -> str:
    return subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, timeout=30).stdout


@pytest.fixture(scope="module")
def rabbit() -> Iterator[tuple[DemoCluster, RabbitLab]]:
    reason = why_not_here()
    if reason:
        pytest.skip(reason)
    slot = pick_slot(len(NODES), os.getpid() + 97, listening)
    if not slot:
        pytest.skip("no free port slot for three brokers")
    had_epmd = epmd_running()
    root = Path(tempfile.mkdtemp(prefix="hcl-rabbit-live-"))
    root.chmod(0o755)
    lab = RabbitLab(root, "hcl-rmq", slot)
    text, _ = live_config_text(data_file("corosync.nodelist.conf").read_text(),
                               pick_port("eayunstack-rabbitmq"), fast=False)
    cluster = DemoCluster.create(root, text)
    try:
        for node in NODES:
            (root / node).mkdir()
        for index in (1, 2, 3):
            cluster.start(index)
        assert wait_until(lambda: cluster.ring_of((1, 2, 3)), 90), cluster.logs()
        path = root / "configuration.xml"
        path.write_text(configuration(lab))
        done = cluster.tool(1, "cibadmin", "--replace", "-o", "configuration", "--xml-file",
                            str(path))
        assert done.returncode == 0, done.stderr
        yield cluster, lab
    finally:
        stop_everything(cluster, lab, root, had_epmd)


def stop_everything(cluster: DemoCluster, lab: RabbitLab, root: Path, had_epmd: bool) -> None:
    for index in (1, 2, 3):
        if cluster.node(index).is_running():
            cluster.tool(index, "crm_resource", "--set-parameter", "target-role", "--meta",
                         "--resource", "clone_p_rabbitmq-server", "--parameter-value", "Stopped")
            break
    wait_until(lambda: not any(lab.broker_pid(n) for n in NODES), 180, 1.0)
    cluster.kill_all()
    for pid in procs.find_processes(str(root) + "/"):  # brokers of this run only
        procs.signal_pid(pid, signal.SIGKILL)
    if not had_epmd:
        wait_until(lambda: (stop_epmd(), not epmd_running())[1], 30, 1.0)
    shutil.rmtree(root, ignore_errors=True)


def located(cluster: DemoCluster) -> list[str]:
    done = cluster.tool(1, "crm_resource", "--locate", "--resource", "clone_p_rabbitmq-server")
    return sorted(line.rsplit(" ", 1)[-1] for line in done.stdout.splitlines())


def one_cluster_of_three(lab: RabbitLab) -> bool:
    names = sorted(lab.erlang_name(n) for n in NODES)
    return all(lab.cluster_status(n)["running_nodes"] == names for n in NODES)


def test_a16_a_cold_start_forms_one_rabbitmq_cluster_with_the_ha_all_policy(
        rabbit: tuple[DemoCluster, RabbitLab]) -> None:
    cluster, lab = rabbit
    assert wait_until(lambda: located(cluster) == list(NODES), 600, 2.0), cluster.logs()
    assert wait_until(lambda: one_cluster_of_three(lab), 120, 2.0), \
        {n: lab.cluster_status(n) for n in NODES}
    policies = lab.ctl("node-3", "list_policies", "-q").stdout
    assert "\tha-all\t.\t" in policies and '"ha-mode":"all"' in policies, policies
    advertised = cluster.tool(1, "attrd_updater", "-Q", "-A", "-n",
                              "rmq-node-attr-p_rabbitmq-server").stdout
    assert advertised.count("rmq-node-attr") == 3, advertised


def test_a15_a_killed_broker_is_recovered_in_place_and_rejoins_the_others(
        rabbit: tuple[DemoCluster, RabbitLab]) -> None:
    cluster, lab = rabbit
    assert wait_until(lambda: located(cluster) == list(NODES) and one_cluster_of_three(lab),
                      600, 2.0), cluster.logs()
    victim = lab.broker_pid("node-2")
    assert victim
    os.kill(victim, signal.SIGKILL)  # the Erlang VM dies: the monitor fails
    assert wait_until(lambda: lab.broker_pid("node-2") not in (0, victim)
                      and one_cluster_of_three(lab) and located(cluster) == list(NODES),
                      480, 2.0), ({n: lab.cluster_status(n) for n in NODES}, cluster.logs())
    failed = cluster.tool(1, "crm_mon", "-1").stdout
    assert "p_rabbitmq-server" in failed.split("Failed Resource Actions:")[-1], failed


def last_start_ms(cluster: DemoCluster, node: str) -> tuple[str, int]:
    """(call-id, exec-time in ms) of the last start of rabbit on `node`."""
    xml = cluster.tool(1, "cibadmin", "-Q", "-o", "status").stdout
    for state in etree.fromstring(xml.encode()).iter("node_state"):
        for op in state.iter("lrm_rsc_op"):
            if (state.get("uname"), op.get("id"), op.get("operation")) == (
                    node, "p_rabbitmq-server_last_0", "start"):
                return str(op.get("call-id")), int(op.get("exec-time", "0"))
    return "", 0


def test_a15_the_only_broker_left_bootstraps_without_waiting_for_peers_that_stay_stopped(
        rabbit: tuple[DemoCluster, RabbitLab]) -> None:
    cluster, lab = rabbit
    assert wait_until(lambda: located(cluster) == list(NODES) and one_cluster_of_three(lab),
                      600, 2.0), cluster.logs()
    for node in ("node-1", "node-2"):  # online, but the cluster will not start rabbit there
        done = cluster.tool(1, "crm_resource", "--ban", "--resource", "clone_p_rabbitmq-server",
                            "--node", node)
        assert done.returncode == 0, done.stderr
    assert wait_until(lambda: located(cluster) == ["node-3"], 300, 2.0), cluster.logs()
    before = last_start_ms(cluster, "node-3")
    victim = lab.broker_pid("node-3")
    assert victim
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: last_start_ms(cluster, "node-3")[0] not in ("", before[0])
                      and located(cluster) == ["node-3"], 600, 2.0), cluster.logs()
    # it bootstrapped a cluster of one, with the policy, without 2 x bootstrap_wait first
    assert lab.cluster_status("node-3")["running_nodes"] == [lab.erlang_name("node-3")]
    assert "\tha-all\t" in lab.ctl("node-3", "list_policies", "-q").stdout
    assert last_start_ms(cluster, "node-3")[1] < 2 * BOOTSTRAP_WAIT_S * 1000

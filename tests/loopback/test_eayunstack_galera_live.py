"""SPEC.md §8 A14 live: clone_p_mysql with the real ocf:mirantis:mysql-wss and real MariaDB +
Galera on three haclusterd (root only; slow).

Each node's mysqld gets its own loopback address (127.215.S.N), ports, datadir and socket
through instance attributes with #uname rules (one CIB); the agent asks our crm_node,
crm_resource and attrd_updater for the partition, the clone's locations and the gtids. A
cold start bootstraps exactly one node and the others join; data written on one node is
read on another; a mysqld killed on one node is recovered in place by the cluster and
rejoins the others with the data.
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
from hacluster.agents.galera_lab import NODES, GaleraLab, pick_slot, why_not_here
from hacluster.demo.cluster import DemoCluster, live_config_text
from hacluster.demo.files import data_file
from hacluster.demo.realagents import rule_block

pytestmark = pytest.mark.slow
PROPS = ('<crm_config><cluster_property_set id="cib-bootstrap-options">'
         '<nvpair id="o1" name="stonith-enabled" value="false"/>'
         '<nvpair id="o2" name="no-quorum-policy" value="ignore"/>'
         '<nvpair id="o3" name="symmetric-cluster" value="true"/>'
         '</cluster_property_set></crm_config>')


def configuration(site: GaleraLab) -> str:
    prim = etree.Element("primitive", id="p_mysql", **{"class": "ocf"}, provider="mirantis",
                         type="mysql-wss")
    for node in NODES:
        prim.append(rule_block("p_mysql", node, site.params(node)))
    plain = etree.SubElement(prim, "instance_attributes", id="p_mysql-params")
    for name, value in (("test_user", "wsrep_sst"), ("test_passwd", "hcl-secret"),
                        ("master_timeout", "240"), ("election_interval", "1")):
        etree.SubElement(plain, "nvpair", id=f"p_mysql-params-{name}", name=name, value=value)
    ops = etree.SubElement(prim, "operations")
    for name, interval, timeout in (("monitor", "10s", "115s"), ("start", "0", "475s"),
                                    ("stop", "0", "175s")):
        etree.SubElement(ops, "op", id=f"p_mysql-{name}-{interval}", name=name,
                         interval=interval, timeout=timeout)
    clone = etree.Element("clone", id="clone_p_mysql")
    clone.append(prim)
    nodes = "".join(f'<node id="{i}" uname="{n}"/>' for i, n in enumerate(NODES, start=1))
    return (f"<configuration>{PROPS}<nodes>{nodes}</nodes><resources>{etree.tostring(clone).decode()}"
            "</resources><constraints/></configuration>")


@pytest.fixture(scope="module")
def galera() -> Iterator[tuple[DemoCluster, GaleraLab]]:
    reason = why_not_here()
    if reason:
        pytest.skip(reason)
    slot = pick_slot(24000, os.getpid(), listening)
    if not slot:
        pytest.skip("no free port slot for three mysqld")
    root = Path(tempfile.mkdtemp(prefix="hcl-galera-live-"))
    root.chmod(0o755)
    site = GaleraLab(root, 215, 24000, slot)
    text, _ = live_config_text(data_file("corosync.nodelist.conf").read_text(),
                               pick_port("eayunstack-galera"), fast=False)
    cluster = DemoCluster.create(root, text)
    try:
        site.prepare()
        for index in (1, 2, 3):
            cluster.start(index)
        assert wait_until(lambda: cluster.ring_of((1, 2, 3)), 90), cluster.logs()
        path = root / "configuration.xml"
        path.write_text(configuration(site))
        done = cluster.tool(1, "cibadmin", "--replace", "-o", "configuration", "--xml-file",
                            str(path))
        assert done.returncode == 0, done.stderr
        yield cluster, site
    finally:
        for index in (1, 2, 3):
            if cluster.node(index).is_running():
                cluster.tool(index, "crm_resource", "--set-parameter", "target-role", "--meta",
                             "--resource", "clone_p_mysql", "--parameter-value", "Stopped")
                break
        wait_until(lambda: not any(site.mysqld_pid(n) for n in NODES), 120, 1.0)
        cluster.kill_all()
        for pid in procs.find_processes(str(root) + "/"):  # mysqld(_safe) of this run only
            procs.signal_pid(pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


def located(cluster: DemoCluster) -> list[str]:
    done = cluster.tool(1, "crm_resource", "--locate", "--resource", "clone_p_mysql")
    return sorted(line.rsplit(" ", 1)[-1] for line in done.stdout.splitlines())


def cluster_size(site: GaleraLab, node: str) -> str:
    return site.status(node, "wsrep_cluster_size")


def sql(site: GaleraLab, node: str, statement: str) -> str:
    """The statement's output; '' when the node does not answer."""
    done = site.query(node, statement)
    return done.stdout.strip() if done.returncode == 0 else ""


def listening() -> str:
    return subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, timeout=30).stdout


def test_a14_galera_bootstraps_once_replicates_and_a_killed_mysqld_recovers_in_place(
        galera: tuple[DemoCluster, GaleraLab]) -> None:
    cluster, site = galera
    assert wait_until(lambda: located(cluster) == list(NODES), 300, 2.0), cluster.logs()
    assert wait_until(lambda: all(cluster_size(site, n) == "3" for n in NODES), 60, 1.0)
    sql(site, "node-1", "CREATE DATABASE hcl; CREATE TABLE hcl.t (id INT PRIMARY KEY, v TEXT);"
             " INSERT INTO hcl.t VALUES (1, 'written on node-1')")
    # a Galera receiver applies a commit just after the writer returns: read until it has
    assert wait_until(lambda: sql(site, "node-3", "SELECT v FROM hcl.t WHERE id = 1")
                      == "written on node-1", 30, 0.5)
    victim = site.mysqld_pid("node-2")
    daemon = cluster.node(2).process
    assert victim and daemon is not None and os.getpgid(victim) != os.getpgid(daemon.pid)
    os.killpg(os.getpgid(victim), signal.SIGKILL)  # A14: mysqld_safe and mysqld crash
    assert wait_until(lambda: site.mysqld_pid("node-2") not in (0, victim)
                      and cluster_size(site, "node-2") == "3"
                      and located(cluster) == list(NODES), 240, 2.0), cluster.logs()
    assert wait_until(lambda: sql(site, "node-2", "SELECT v FROM hcl.t WHERE id = 1")
                      == "written on node-1", 30, 0.5)
    failed = cluster.tool(1, "crm_mon", "-1").stdout
    assert "p_mysql" in failed.split("Failed Resource Actions:")[-1], failed


def set_target_role(cluster: DemoCluster, role: str) -> None:
    done = cluster.tool(1, "crm_resource", "--resource", "clone_p_mysql", "--meta",
                        "--set-parameter", "target-role", "--parameter-value", role)
    assert done.returncode == 0, done.stderr


def test_a14_after_a_full_stop_the_cluster_bootstraps_again_and_keeps_the_data(
        galera: tuple[DemoCluster, GaleraLab]) -> None:
    cluster, site = galera
    assert wait_until(lambda: located(cluster) == list(NODES), 300, 2.0), cluster.logs()
    sql(site, "node-3", "INSERT INTO hcl.t VALUES (2, 'before the full stop')")
    set_target_role(cluster, "Stopped")
    assert wait_until(lambda: not located(cluster)
                      and not any(site.mysqld_pid(n) for n in NODES), 240, 2.0), cluster.logs()
    assert wait_until(lambda: cluster.tool(1, "attrd_updater", "-Q", "-A", "-n", "gtid")
                      .stdout.count('name="gtid"') == 3, 30, 0.5), cluster.logs()
    set_target_role(cluster, "Started")
    assert wait_until(lambda: located(cluster) == list(NODES)
                      and all(cluster_size(site, n) == "3" for n in NODES), 300, 2.0), \
        cluster.logs()
    assert wait_until(lambda: sql(site, "node-1", "SELECT v FROM hcl.t ORDER BY id")
                      == "written on node-1\nbefore the full stop", 30, 0.5)

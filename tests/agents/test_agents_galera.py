"""ocf:mirantis:mysql-wss with real MariaDB + Galera: three nodes on one host (root only).

Each node is a mysqld on its own loopback address (127.213.S.N, S a slot free for this
run, so concurrent runs of the suite do not meet) with its own datadir, socket and ports; the cluster's tools are the fakecluster stand-ins (attributes,
partition, where the clone runs). Checked: the real ocf-tester on one node; a cold start of
three where one bootstraps and the others join; data written on one node read on another;
a full stop and restart that bootstraps from the highest seqno and keeps the data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from agentkit import (
    CLEAN_PATH,
    Outcome,
    listening_addresses,
    ocf_tester,
    pick_run_slot,
    require_ocf_tester,
    run_agent,
)
from fakecluster import attributes, install_tools, set_partition, set_running

from hacluster.agents.galera import choose_bootstrap

PROVIDER = "/usr/lib/galera/libgalera_smm.so"
NODES = ("node-1", "node-2", "node-3")


def test_the_bootstrap_node_has_the_highest_seqno_and_ties_go_to_the_lowest_md5() -> None:
    uuid = "6f6ae6e2-2a3b-11ee-8000-000000000001"
    assert choose_bootstrap({"node-1": f"{uuid}:5", "node-2": f"{uuid}:9",
                             "node-3": f"{uuid}:7"}) == "node-2"
    # md5("node-1") = 3c2a..., md5("node-2") = 9f4d..., md5("node-3") = 1f6a...
    tied = {node: f"{uuid}:9" for node in NODES}
    assert choose_bootstrap(tied) == min(NODES, key=lambda n: __import__("hashlib").md5(
        n.encode()).hexdigest())
    assert choose_bootstrap({"node-1": f"{uuid}:-1", "node-2": f"{uuid}:3"}) == "node-2"


@dataclass(frozen=True)
class Galera:
    root: Path
    slot: int

    def address(self, node: str) -> str:
        return f"127.213.{self.slot}.{NODES.index(node) + 1}"

    def port(self, kind: str) -> int:
        """mysql, gcomm, ist and sst ports of this run (the SST script checks ports alone)."""
        return 20000 + self.slot * 10 + ("mysql", "gcomm", "ist", "sst").index(kind)

    def home(self, node: str) -> Path:
        return self.root / node

    def params(self, node: str) -> dict[str, str]:
        home = self.home(node)
        return {"config": str(home / "my.cnf"), "datadir": str(home / "data"),
                "socket": str(home / "run" / "mysqld.sock"), "pid": str(home / "run" / "mysqld.pid"),
                "test_user": "wsrep_sst", "test_passwd": "hct-secret", "master_timeout": "120",
                "election_interval": "1"}

    def extra(self, node: str) -> dict[str, str]:
        return {"PATH": f"{self.root / 'bin'}:{CLEAN_PATH}", "HCT_NODE": node,
                "HCT_CLUSTER_DIR": str(self.root / "cluster"),
                "HA_RSCTMP": str(self.root / "rsctmp" / node),
                "OCF_RESKEY_CRM_meta_timeout": "240000", "OCF_RESOURCE_INSTANCE": "p_mysql:0"}

    def agent(self, node: str, action: str) -> Outcome:
        outcome = run_agent("mirantis", "mysql-wss", action, self.params(node), self.extra(node),
                            timeout_s=300)
        if action in ("start", "stop") and outcome.rc == 0:
            set_running(self.root / "cluster", "p_mysql", node, action == "start")
        return outcome

    def sql(self, node: str, statement: str) -> str:
        done = subprocess.run(["mysql", f"--socket={self.params(node)['socket']}", "-N", "-B",
                               "-e", statement], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


def write_config(galera: Galera, node: str) -> None:
    home, address = galera.home(node), galera.address(node)
    gcomm, ist, sst = galera.port("gcomm"), galera.port("ist"), galera.port("sst")
    peers = ",".join(f"{galera.address(n)}:{gcomm}" for n in NODES)
    (home / "run").mkdir(parents=True)
    shutil.chown(home / "run", "mysql", "mysql")
    (home / "my.cnf").write_text(f"""[mysqld]
user=mysql
datadir={home}/data
bind-address={address}
port={galera.port("mysql")}
log-error={home}/error.log
skip-name-resolve
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=32M
innodb_log_file_size=16M
performance_schema=OFF
wsrep_on=ON
wsrep_provider={PROVIDER}
wsrep_cluster_name=hct_galera_{galera.slot}
wsrep_cluster_address=gcomm://{peers}?pc.wait_prim=no
wsrep_node_name={node}
wsrep_node_address={address}
wsrep_provider_options="gmcast.listen_addr=tcp://{address}:{gcomm};ist.recv_addr={address}:{ist}"
wsrep_sst_method=rsync
wsrep_sst_receive_address={address}:{sst}
""")


@pytest.fixture(scope="module")
def galera() -> Iterator[Galera]:
    if os.geteuid() != 0:
        pytest.skip("needs root (mysqld runs as user mysql, datadirs chowned)")
    for tool in ("mysqld_safe", "mariadb-install-db", "mysql", "rsync"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian mariadb-server, rsync)")
    if not os.path.exists(PROVIDER):
        pytest.skip(f"{PROVIDER} is not installed (Debian galera-4)")
    root = Path(tempfile.mkdtemp(prefix="hct-galera-"))
    root.chmod(0o755)
    made = Galera(root, pick_run_slot(lambda slot: not any(
        f":{20000 + slot * 10 + k} " in listening_addresses() for k in range(4))))
    install_tools(root / "bin")
    set_partition(root / "cluster", list(NODES))
    template = root / "template"
    init = subprocess.run(["mariadb-install-db", "--user=mysql", f"--datadir={template}",
                           "--auth-root-authentication-method=socket", "--skip-test-db"],
                          capture_output=True, text=True, timeout=180)
    assert init.returncode == 0, init.stderr
    for node in NODES:
        write_config(made, node)
        shutil.copytree(template, made.home(node) / "data", symlinks=True)
        subprocess.run(["chown", "-R", "mysql:mysql", str(made.home(node))], check=True)
    try:
        yield made
    finally:
        for node in NODES:
            made.agent(node, "stop")
        shutil.rmtree(root, ignore_errors=True)


def start_all(galera: Galera) -> dict[str, Outcome]:
    results: dict[str, Outcome] = {}
    threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, galera.agent(n, "start")))
               for n in NODES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results


@pytest.mark.slow
def test_mysql_wss_passes_the_real_ocf_tester_on_a_one_node_partition(galera: Galera) -> None:
    require_ocf_tester()
    set_partition(galera.root / "cluster", ["node-1"])
    try:
        done = ocf_tester("mirantis", "mysql-wss", galera.params("node-1"),
                          galera.extra("node-1"), timeout_s=600)
    finally:
        set_partition(galera.root / "cluster", list(NODES))
    assert done.returncode == 0 and "passed all tests" in done.stdout, done.stdout + done.stderr


@pytest.mark.slow
def test_three_nodes_bootstrap_once_replicate_and_restart_from_the_highest_seqno(
        galera: Galera) -> None:
    results = start_all(galera)
    assert all(r.rc == 0 for r in results.values()), results
    bootstrapped = [n for n, r in results.items() if "--wsrep-new-cluster" in r.err]
    assert len(bootstrapped) == 1, results
    assert galera.sql("node-2", "SHOW STATUS LIKE 'wsrep_cluster_size'").split() == \
        ["wsrep_cluster_size", "3"]
    galera.sql("node-1", "CREATE DATABASE hct; CREATE TABLE hct.t (id INT PRIMARY KEY, v TEXT);"
               " INSERT INTO hct.t VALUES (1, 'written on node-1')")
    assert galera.sql("node-3", "SELECT v FROM hct.t WHERE id = 1") == "written on node-1"
    assert all(galera.agent(n, "monitor").rc == 0 for n in NODES)
    # a full stop; node-3 goes last and commits one more row, so it holds the highest seqno
    assert galera.agent("node-1", "stop").rc == 0 and galera.agent("node-2", "stop").rc == 0
    galera.sql("node-3", "INSERT INTO hct.t VALUES (2, 'written on node-3 alone')")
    assert galera.agent("node-3", "stop").rc == 0
    assert all(galera.agent(n, "monitor").rc == 7 for n in NODES)
    gtids = {n: v["gtid"] for n, v in attributes(galera.root / "cluster").items()}
    assert choose_bootstrap(gtids) == "node-3", gtids
    results = start_all(galera)
    assert all(r.rc == 0 for r in results.values()), results
    assert "--wsrep-new-cluster" in results["node-3"].err, results["node-3"].err
    assert "node-3 wins" in results["node-1"].err or "joining" in results["node-1"].err
    assert galera.sql("node-1", "SELECT v FROM hct.t ORDER BY id") == \
        "written on node-1\nwritten on node-3 alone"

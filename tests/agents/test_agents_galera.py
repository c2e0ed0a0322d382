"""ocf:mirantis:mysql-wss with real MariaDB + Galera: three nodes on one host (root only).

Each node is a mysqld on its own loopback address (127.213.S.N, S a slot free for this
run, so concurrent runs of the suite do not meet) with its own datadir, socket and ports
(hacluster.agents.galera_lab); the cluster's tools are the fakecluster stand-ins
(attributes, partition, where the clone runs). Checked: the election rules (no MariaDB
needed); the real ocf-tester on one node; a cold start of three where exactly one
bootstraps and the others join; data written on one node read on another; a full stop and
restart that bootstraps once, from the highest seqno, and keeps the data; a SIGKILLed node
whose position comes from `--wsrep-recover` and which rejoins.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
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
    require_ocf_tester,
    run_agent,
)
from fakecluster import attributes, install_tools, set_attribute, set_partition, set_running

from hacluster.agents import procs
from hacluster.agents.galera import choose_bootstrap
from hacluster.agents.galera_lab import NODES, GaleraLab, pick_slot, why_not_here
from hacluster.agents.ocf import wait_for


def test_the_bootstrap_node_has_the_highest_seqno_and_ties_go_to_the_lowest_md5() -> None:
    uuid = "6f6ae6e2-2a3b-11ee-8000-000000000001"
    assert choose_bootstrap({"node-1": f"{uuid}:5", "node-2": f"{uuid}:9",
                             "node-3": f"{uuid}:7"}) == "node-2"
    # md5("node-1") = 3c2a..., md5("node-2") = 9f4d..., md5("node-3") = 1f6a...
    tied = {node: f"{uuid}:9" for node in NODES}
    assert choose_bootstrap(tied) == min(NODES, key=lambda n: hashlib.md5(n.encode()).hexdigest())
    assert choose_bootstrap({"node-1": f"{uuid}:-1", "node-2": f"{uuid}:3"}) == "node-2"


def test_a_node_that_lost_the_election_never_bootstraps_even_when_the_winners_position_drops(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The winner's own start makes its published seqno fall (Galera writes seqno -1 into
    grastate.dat while it runs). A loser that re-elected then would bootstrap a second
    cluster: it must keep its first answer and join once the winner runs."""
    from hacluster.agents import cluster, galera
    from hacluster.agents.ocf import Env

    uuid = "6f6ae6e2-2a3b-11ee-8000-000000000001"
    state = tmp_path / "cluster"
    install_tools(tmp_path / "bin")
    set_partition(state, ["node-1", "node-2"])
    set_attribute(state, "node-1", "gtid", f"{uuid}:4")
    set_attribute(state, "node-2", "gtid", f"{uuid}:9")
    monkeypatch.setenv("HCT_CLUSTER_DIR", str(state))
    monkeypatch.setenv("HCT_NODE", "node-1")
    env = Env(galera.INFO, "start", {
        "PATH": f"{tmp_path / 'bin'}:{CLEAN_PATH}", "HCT_CLUSTER_DIR": str(state),
        "HCT_NODE": "node-1", "OCF_RESOURCE_INSTANCE": "p_mysql:1",
        "OCF_RESKEY_master_timeout": "60", "OCF_RESKEY_election_interval": "1"})
    said: list[str] = []
    rounds: list[str] = []
    monkeypatch.setattr(galera, "log", lambda _env, _level, message: said.append(message))
    counted = cluster.running_on
    monkeypatch.setattr(cluster, "running_on",
                        lambda e, r: rounds.append(r) or counted(e, r))
    answer: list[bool] = []
    thread = threading.Thread(target=lambda: answer.append(galera.elect(env, "node-1")))
    thread.start()
    assert wait_for(lambda: len(rounds) >= 2, 60)  # one whole round: node-2 has won
    set_attribute(state, "node-2", "gtid", f"{uuid}:-1")  # node-2's start is under way
    seen = len(rounds)
    assert wait_for(lambda: len(rounds) >= seen + 2 or not thread.is_alive(), 60)
    set_running(state, "p_mysql", "node-2", True)
    thread.join(30)
    assert answer == [False], said


@dataclass(frozen=True)
class Galera:
    """The three nodes (hacluster.agents.galera_lab) and the fake cluster around them."""

    lab: GaleraLab

    @property
    def root(self) -> Path:
        return self.lab.root

    def params(self, node: str) -> dict[str, str]:
        return {**self.lab.params(node), "test_user": "wsrep_sst", "test_passwd": "hct-secret",
                "master_timeout": "240", "election_interval": "1"}

    def extra(self, node: str) -> dict[str, str]:
        return {"PATH": f"{self.root / 'bin'}:{CLEAN_PATH}", "HCT_NODE": node,
                "HCT_CLUSTER_DIR": str(self.root / "cluster"),
                "HA_RSCTMP": str(self.root / "rsctmp" / node),
                "OCF_RESKEY_CRM_meta_timeout": "300000", "OCF_RESOURCE_INSTANCE": "p_mysql:0"}

    def agent(self, node: str, action: str) -> Outcome:
        outcome = run_agent("mirantis", "mysql-wss", action, self.params(node), self.extra(node),
                            timeout_s=400)
        if action in ("start", "stop") and outcome.rc == 0:
            set_running(self.root / "cluster", "p_mysql", node, action == "start")
        return outcome

    def sql(self, node: str, statement: str) -> str:
        done = self.lab.query(node, statement)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


@pytest.fixture(scope="module")
def galera() -> Iterator[Galera]:
    reason = why_not_here()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="hct-galera-"))
    root.chmod(0o755)
    slot = pick_slot(20000, os.getpid(), listening_addresses)
    if not slot:
        pytest.skip("no free port slot for three mysqld")
    made = Galera(GaleraLab(root, 213, 20000, slot))
    install_tools(root / "bin")
    set_partition(root / "cluster", list(NODES))
    try:
        made.lab.prepare()
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
    assert [n for n, r in results.items() if "--wsrep-new-cluster" in r.err] == ["node-3"], \
        results
    assert "node-3 wins" in results["node-1"].err or "joining" in results["node-1"].err
    assert galera.sql("node-1", "SELECT v FROM hct.t ORDER BY id") == \
        "written on node-1\nwritten on node-3 alone"


@pytest.mark.slow
def test_a_killed_node_publishes_the_position_wsrep_recover_finds_and_rejoins(
        galera: Galera) -> None:
    results = start_all(galera)  # idempotent: already running after the test above
    assert all(r.rc == 0 for r in results.values()), results
    galera.sql("node-1", "CREATE DATABASE IF NOT EXISTS hct; CREATE TABLE IF NOT EXISTS"
               " hct.k (id INT PRIMARY KEY); INSERT INTO hct.k VALUES (1), (2), (3)")
    position = (galera.lab.status("node-1", "wsrep_local_state_uuid") + ":"
                + galera.lab.status("node-1", "wsrep_last_committed"))
    assert wait_for(lambda: galera.lab.status("node-2", "wsrep_last_committed")
                    == position.rsplit(":", 1)[1], 120, 0.5)
    victim = galera.lab.mysqld_pid("node-2")
    assert victim
    os.killpg(os.getpgid(victim), signal.SIGKILL)  # mysqld_safe and mysqld die at once
    set_running(galera.root / "cluster", "p_mysql", "node-2", False)
    assert wait_for(lambda: not procs.is_alive(victim), 60)
    assert galera.lab.grastate_seqno("node-2") == "-1"  # an unclean stop: no saved position
    assert galera.agent("node-2", "monitor").rc == 7
    assert attributes(galera.root / "cluster")["node-2"]["gtid"] == position
    again = galera.agent("node-2", "start")
    assert again.rc == 0 and "--wsrep-new-cluster" not in again.err, again
    assert galera.sql("node-2", "SELECT COUNT(*) FROM hct.k") == "3"
    assert galera.lab.status("node-2", "wsrep_cluster_size") == "3"


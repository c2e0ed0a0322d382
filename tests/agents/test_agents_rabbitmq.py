"""ocf:rabbitmq:rabbitmq-server with real RabbitMQ: several nodes on one host (root only).

Each node has its own Erlang node name (hct-rmq-S-N@localhost, S a slot free for this run,
so concurrent runs of the suite do not meet), AMQP and distribution ports on 127.0.0.1 and
its own mnesia; epmd is kept on loopback. The cluster's tools are the
fakecluster stand-ins. Checked: the real ocf-tester on a one-node partition (bootstrap
path); the first node bootstraps and sets ha-all, the second joins it; a restarted node
wipes its mnesia and rejoins a running member. (Two nodes, not three: each RabbitMQ boot
takes 15-30 s here, and a third node would only repeat the join path.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
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
from fakecluster import install_tools, set_partition, set_running

NODES = ("node-1", "node-2")
POLICY = 'ha-all "." {"ha-mode":"all","ha-sync-mode":"automatic"}'


@dataclass(frozen=True)
class Rabbit:
    root: Path
    slot: int

    def erlang_name(self, node: str) -> str:
        return f"hct-rmq-{self.slot}-{node[-1]}@localhost"

    def params(self, node: str) -> dict[str, str]:
        home, n = self.root / node, int(node[-1])
        return {"set_policy": POLICY, "nodename": self.erlang_name(node), "node_ip": "127.0.0.1",
                "node_port": str(port(self.slot, "amqp") + n),
                "dist_port": str(port(self.slot, "dist") + n),
                "erl_args": "-kernel inet_dist_use_interface {127,0,0,1}",
                "mnesia_base": str(home / "mnesia"), "log_base": str(home / "log"),
                "pid_file": str(home / "run" / "rabbit.pid")}

    def extra(self, node: str) -> dict[str, str]:
        return {"PATH": f"{self.root / 'bin'}:{CLEAN_PATH}", "HCT_NODE": node,
                "HCT_CLUSTER_DIR": str(self.root / "cluster"),
                "OCF_RESKEY_CRM_meta_timeout": "120000",
                "OCF_RESOURCE_INSTANCE": "p_rabbitmq-server:0"}

    def agent(self, node: str, action: str) -> Outcome:
        outcome = run_agent("rabbitmq", "rabbitmq-server", action, self.params(node),
                            self.extra(node), timeout_s=300)
        if action in ("start", "stop") and outcome.rc == 0:
            set_running(self.root / "cluster", "p_rabbitmq-server", node, action == "start")
        return outcome

    def ctl(self, node: str, *args: str) -> str:
        done = subprocess.run(["rabbitmqctl", "-n", self.erlang_name(node), *args],
                              capture_output=True, text=True, timeout=60,
                              env={"PATH": CLEAN_PATH, "ERL_EPMD_ADDRESS": "127.0.0.1"})
        assert done.returncode == 0, done.stderr
        return done.stdout

    def running_nodes(self, node: str) -> list[str]:
        status = json.loads(self.ctl(node, "cluster_status", "--formatter", "json"))
        return sorted(status["running_nodes"])


def port(slot: int, kind: str) -> int:
    """Ports of one run's brokers: 30000+ for AMQP, 40000+ for Erlang distribution."""
    return (30000 if kind == "amqp" else 40000) + slot * 10


def slot_is_free(slot: int) -> bool:
    listening = listening_addresses()
    return all(f"127.0.0.1:{port(slot, kind) + n} " not in listening
               for kind in ("amqp", "dist") for n in (1, 2))


def epmd_running() -> bool:
    return subprocess.run(["pgrep", "-x", "epmd"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def rabbit() -> Iterator[Rabbit]:
    if os.geteuid() != 0:
        pytest.skip("needs root (RabbitMQ runs as user rabbitmq)")
    for tool in ("rabbitmq-server", "rabbitmqctl", "epmd"):
        if shutil.which(tool, path=CLEAN_PATH) is None:
            pytest.skip(f"{tool} is not installed (Debian rabbitmq-server)")
    had_epmd = epmd_running()
    root = Path(tempfile.mkdtemp(prefix="hct-rabbit-"))
    root.chmod(0o755)
    made = Rabbit(root, pick_run_slot(slot_is_free))
    install_tools(root / "bin")
    set_partition(root / "cluster", list(NODES))
    for node in NODES:
        (root / node).mkdir()
    try:
        yield made
    finally:
        for node in NODES:
            made.agent(node, "stop")
        if not had_epmd:
            subprocess.run(["epmd", "-kill"], capture_output=True,
                           env={"PATH": CLEAN_PATH, "ERL_EPMD_ADDRESS": "127.0.0.1"})
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_rabbitmq_passes_the_real_ocf_tester_on_a_one_node_partition(rabbit: Rabbit) -> None:
    require_ocf_tester()
    set_partition(rabbit.root / "cluster", ["node-1"])
    try:
        done = ocf_tester("rabbitmq", "rabbitmq-server", rabbit.params("node-1"),
                          rabbit.extra("node-1"), timeout_s=900)
    finally:
        set_partition(rabbit.root / "cluster", list(NODES))
    assert done.returncode == 0 and "passed all tests" in done.stdout, done.stdout + done.stderr


@pytest.mark.slow
def test_first_node_bootstraps_with_ha_all_the_others_join_and_a_restart_rejoins(
        rabbit: Rabbit) -> None:
    first = rabbit.agent("node-1", "start")
    assert first.rc == 0 and "bootstrapped" in first.err, first
    policies = rabbit.ctl("node-1", "list_policies", "-q")
    assert '\tha-all\t.\t' in policies and '"ha-mode":"all"' in policies
    joined = rabbit.agent("node-2", "start")
    assert joined.rc == 0 and f"joined {rabbit.erlang_name('node-1')}" in joined.err, joined
    names = sorted(rabbit.erlang_name(n) for n in ("node-1", "node-2"))
    assert rabbit.running_nodes("node-2") == names
    assert '"ha-mode":"all"' in rabbit.ctl("node-2", "list_policies", "-q")
    assert rabbit.agent("node-2", "stop").rc == 0
    assert rabbit.running_nodes("node-1") == [names[0]]
    assert rabbit.agent("node-2", "monitor").rc == 7
    again = rabbit.agent("node-2", "start")
    assert again.rc == 0 and "joined" in again.err, again
    assert rabbit.running_nodes("node-1") == names
    assert rabbit.agent("node-1", "monitor").rc == 0 and rabbit.agent("node-2", "monitor").rc == 0


def test_set_policy_splits_like_a_shell_but_keeps_the_json_definition() -> None:
    from hacluster.agents.rabbitmq import split_policy

    definition = '{"ha-mode":"all","ha-sync-mode":"automatic"}'
    assert split_policy(POLICY) == ["ha-all", ".", definition]
    assert split_policy(f"ha-all '^(?!amq\\.).*' '{definition}' --priority 1") == \
        ["ha-all", "^(?!amq\\.).*", definition, "--priority", "1"]
    with pytest.raises(ValueError):
        split_policy('ha-all "." {"ha-mode":')

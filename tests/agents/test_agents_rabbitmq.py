"""ocf:rabbitmq:rabbitmq-server with real RabbitMQ: several nodes on one host (root only).

Each node has its own Erlang node name (hct-rmq-S-N@localhost, S a slot free for this run,
so concurrent runs of the suite do not meet), AMQP and distribution ports on 127.0.0.1 and
its own mnesia; epmd is kept on loopback (hacluster.agents.rabbitmq_lab). The cluster's
tools are the fakecluster stand-ins. Checked: the real ocf-tester on a one-node partition
(bootstrap path); the first node bootstraps and sets ha-all, the second joins it; a
restarted node wipes its mnesia and rejoins a running member; a post-stop notification
makes the running node forget the stopped one; users, permissions and policies survive a
full stop; two nodes started at once form one cluster. (Two nodes, not three: each
RabbitMQ boot takes 15-30 s here, and a third node would only repeat the join path.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
from fakecluster import install_tools, set_partition, set_plan, set_running

from hacluster.agents.rabbitmq_lab import (
    POLICY,
    RabbitLab,
    epmd_running,
    pick_slot,
    stop_epmd,
    why_not_here,
)

NODES = ("node-1", "node-2")


@dataclass(frozen=True)
class Rabbit:
    """The brokers (hacluster.agents.rabbitmq_lab) and the fake cluster around them."""

    lab: RabbitLab

    @property
    def root(self) -> Path:
        return self.lab.root

    def erlang_name(self, node: str) -> str:
        return self.lab.erlang_name(node)

    def params(self, node: str) -> dict[str, str]:
        return self.lab.params(node)

    def extra(self, node: str) -> dict[str, str]:
        return {"PATH": f"{self.root / 'bin'}:{CLEAN_PATH}", "HCT_NODE": node,
                "HCT_CLUSTER_DIR": str(self.root / "cluster"),
                "OCF_RESKEY_CRM_meta_timeout": "240000",
                "OCF_RESOURCE_INSTANCE": "p_rabbitmq-server:0"}

    def agent(self, node: str, action: str) -> Outcome:
        outcome = run_agent("rabbitmq", "rabbitmq-server", action, self.params(node),
                            self.extra(node), timeout_s=400)
        if action in ("start", "stop") and outcome.rc == 0:
            set_running(self.root / "cluster", "p_rabbitmq-server", node, action == "start")
        return outcome

    def ctl(self, node: str, *args: str) -> str:
        done = self.lab.ctl(node, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def running_nodes(self, node: str) -> list[str]:
        return self.lab.cluster_status(node)["running_nodes"]

    def disk_nodes(self, node: str) -> list[str]:
        """Every member node's mnesia knows of, running or not."""
        return self.lab.cluster_status(node)["disk_nodes"]

    def notify(self, node: str, **meta: str) -> Outcome:
        extra = {**self.extra(node), **{f"OCF_RESKEY_CRM_meta_{k}": v for k, v in meta.items()}}
        return run_agent("rabbitmq", "rabbitmq-server", "notify", self.params(node), extra,
                         timeout_s=300)


@pytest.fixture(scope="module")
def rabbit() -> Iterator[Rabbit]:
    reason = why_not_here()
    if reason:
        pytest.skip(reason)
    slot = pick_slot(len(NODES), os.getpid(), listening_addresses)
    if not slot:
        pytest.skip("no free port slot for the brokers")
    had_epmd = epmd_running()
    root = Path(tempfile.mkdtemp(prefix="hct-rabbit-"))
    root.chmod(0o755)
    made = Rabbit(RabbitLab(root, "hct-rmq", slot))
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
            stop_epmd()
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


@pytest.mark.slow
def test_post_stop_notify_forgets_the_stopped_node_and_a_full_restart_restores_the_users(
        rabbit: Rabbit) -> None:
    names = sorted(rabbit.erlang_name(n) for n in NODES)
    assert all(rabbit.agent(n, "start").rc == 0 for n in NODES)  # idempotent when running
    assert rabbit.running_nodes("node-1") == names
    rabbit.ctl("node-1", "add_vhost", "hct")
    rabbit.ctl("node-1", "add_user", "hct-user", "hct-password")
    rabbit.ctl("node-1", "set_permissions", "-p", "hct", "hct-user", ".*", ".*", "^hct-")
    # a clean stop leaves node-2 a member; the post-stop notification makes node-1 forget it
    assert rabbit.agent("node-2", "stop").rc == 0
    assert rabbit.disk_nodes("node-1") == names
    told = rabbit.notify("node-1", notify_type="post", notify_operation="stop",
                         notify_stop_uname="node-2")
    assert told.rc == 0, told
    assert rabbit.disk_nodes("node-1") == [rabbit.erlang_name("node-1")]
    assert rabbit.notify("node-1", notify_type="pre", notify_operation="start",
                         notify_start_uname="node-2").rc == 0
    # the last node saves users, permissions and policies; its bootstrap restores them.
    # Both start at once, as a cold start's transition does: node-1 bootstraps, node-2
    # waits for it and joins (one cluster, not two)
    assert rabbit.agent("node-1", "stop").rc == 0
    assert rabbit.agent("node-1", "monitor").rc == 7
    results: dict[str, Outcome] = {}
    threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, rabbit.agent(n, "start")))
               for n in NODES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(400)
    first, second = results["node-1"], results["node-2"]
    assert first.rc == 0 and "bootstrapped" in first.err and "restored" in first.err, first
    assert second.rc == 0 and f"joined {rabbit.erlang_name('node-1')}" in second.err, second
    assert rabbit.running_nodes("node-2") == names
    assert "hct-user" in rabbit.ctl("node-1", "list_users", "-q")
    assert "hct-user\t.*\t.*\t^hct-" in rabbit.ctl("node-1", "list_permissions", "-q", "-p",
                                                     "hct")
    assert '"ha-mode":"all"' in rabbit.ctl("node-2", "list_policies", "-q")


def test_a_stop_saves_users_permissions_and_policies_but_not_guest_or_queues() -> None:
    from hacluster.agents.rabbitmq import kept_definitions

    exported = {"rabbit_version": "3.10.8", "users": [{"name": "guest"}, {"name": "nova"}],
                "vhosts": [{"name": "/"}], "permissions": [{"user": "nova", "vhost": "/"}],
                "policies": [{"name": "ha-all"}], "queues": [{"name": "q1"}],
                "exchanges": [{"name": "x"}], "topic_permissions": []}
    assert kept_definitions(exported) == {
        "users": [{"name": "nova"}], "vhosts": [{"name": "/"}],
        "permissions": [{"user": "nova", "vhost": "/"}], "policies": [{"name": "ha-all"}],
        "topic_permissions": []}


def test_instances_started_together_take_turns_to_bootstrap_in_name_order() -> None:
    from hacluster.agents.rabbitmq import bootstrap_turn

    members = ["node-1", "node-2", "node-3"]
    assert bootstrap_turn("node-1", members, {"node-2", "node-3"}, 0, 30)
    assert not bootstrap_turn("node-2", members, {"node-1", "node-2"}, 999, 30)
    assert not bootstrap_turn("node-3", members, {"node-2"}, 999, 30)
    # node-1 is not starting (banned, say): node-2 waits 30 s for it, node-3 60 s
    assert not bootstrap_turn("node-2", members, {"node-2", "node-3"}, 29, 30)
    assert bootstrap_turn("node-2", members, {"node-2", "node-3"}, 30, 30)
    assert not bootstrap_turn("node-3", members, {"node-3"}, 59, 30)
    assert bootstrap_turn("node-3", members, {"node-3"}, 60, 30)
    assert bootstrap_turn("node-3", ["node-3"], set(), 0, 30)  # alone in its partition


def test_a_node_the_cluster_will_not_start_the_clone_on_is_not_waited_for() -> None:
    from hacluster.agents.rabbitmq import bootstrap_turn

    members = ["node-1", "node-2", "node-3"]
    # node-1 and node-2 are online, but the plan starts rabbit on node-3 only (banned there)
    assert bootstrap_turn("node-3", members, {"node-3"}, 0, 30, planned={"node-3"})
    # node-2 is planned but has not begun yet: node-3 waits for it only, 30 s, not 60
    assert not bootstrap_turn("node-3", members, {"node-3"}, 29, 30, planned={"node-2"})
    assert bootstrap_turn("node-3", members, {"node-3"}, 30, 30, planned={"node-2"})
    # a node that is starting is waited for whatever the plan says (it may bootstrap)
    assert not bootstrap_turn("node-3", members, {"node-1", "node-3"}, 999, 30, planned=set())


def test_may_bootstrap_reads_the_plan_and_skips_peers_it_leaves_stopped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hacluster.agents import rabbitmq
    from hacluster.agents.ocf import Env

    state = tmp_path / "cluster"
    install_tools(tmp_path / "bin")
    set_partition(state, ["node-1", "node-2", "node-3"])
    monkeypatch.setenv("HCT_CLUSTER_DIR", str(state))
    monkeypatch.setenv("HCT_NODE", "node-3")
    env = Env(rabbitmq.INFO, "start", {
        "PATH": f"{tmp_path / 'bin'}:{CLEAN_PATH}", "HCT_CLUSTER_DIR": str(state),
        "HCT_NODE": "node-3", "OCF_RESOURCE_INSTANCE": "p_rabbitmq-server:2"})
    assert not rabbitmq.may_bootstrap(env, "node-3", 0, 30)  # no plan to read: wait 60 s
    set_plan(state, [("p_rabbitmq-server:2", "node-3"), ("p_other:0", "node-1")])
    assert rabbitmq.may_bootstrap(env, "node-3", 0, 30)  # nobody before it will start
    set_plan(state, [("p_rabbitmq-server:0", "node-2"), ("p_rabbitmq-server:2", "node-3")])
    assert not rabbitmq.may_bootstrap(env, "node-3", 29, 30)
    assert rabbitmq.may_bootstrap(env, "node-3", 30, 30)


def test_the_plan_is_read_from_crm_simulates_transition_summary() -> None:
    from hacluster.agents.cluster import PLANNED_LINE

    lines = ["  * Start      p_rabbitmq-server:1     ( node-1 )",
             "  * Move       vip__public             ( node-1 -> node-2 )",
             "  * Recover    p_haproxy:0             ( node-3 )",
             "  * Stop       p_rabbitmq-server:2     ( node-2 )  due to node availability"]
    found = [PLANNED_LINE.match(line) for line in lines]
    assert [(m.group(2), m.group(3).split()[-1]) for m in found if m] == [
        ("p_rabbitmq-server:1", "node-1"), ("vip__public", "node-2"), ("p_haproxy:0", "node-3")]


PLAN_CIB = """<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7"
have-quorum="1" dc-uuid="1">
<configuration><crm_config><cluster_property_set id="o">
<nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes><node id="1" uname="node-1"/><node id="2" uname="node-2"/><node id="3" uname="node-3"/>
</nodes><resources><clone id="clone_p_rabbitmq-server"><primitive id="p_rabbitmq-server"
class="ocf" provider="heartbeat" type="Dummy"/></clone></resources><constraints>
<rsc_location id="ban-1" rsc="clone_p_rabbitmq-server" node="node-1" score="-INFINITY"/>
</constraints></configuration><status>{states}</status></cib>"""


@pytest.mark.parametrize("tool", ["ours", "pacemaker"])
def test_the_plan_is_read_from_what_crm_simulate_prints_with_S_only(
        tmp_path: Path, tool: str) -> None:
    """crm_simulate prints its Transition Summary only when it simulates (-S): the agent
    asks with -S and finds the nodes the clone starts on (not the banned one)."""
    from hacluster.agents.cluster import planned_nodes

    states = "".join(f'<node_state id="{i}" uname="node-{i}" in_ccm="true" crmd="online" '
                     'join="member" expected="member"/>' for i in (1, 2, 3))
    cib = tmp_path / "cib.xml"
    cib.write_text(PLAN_CIB.format(states=states))
    if tool == "ours":
        command = [sys.executable, "-m", "hacluster.cli.crm_simulate"]
    elif Path("/usr/sbin/crm_simulate").exists():
        command = ["/usr/sbin/crm_simulate"]
    else:
        pytest.skip("Pacemaker's crm_simulate is not installed")
    plain = subprocess.run([*command, "-x", str(cib)], capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    assert planned_nodes(plain.stdout, "p_rabbitmq-server") is None
    shown = subprocess.run([*command, "-x", str(cib), "-S"], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert planned_nodes(shown.stdout, "p_rabbitmq-server") == {"node-2", "node-3"}


def test_a_blocked_start_is_not_planned() -> None:
    from hacluster.agents.cluster import planned_nodes

    shown = ("Transition Summary:\n"
             "  * Start      p_rabbitmq-server:0     (    node-1 )  due to no quorum (blocked)\n"
             "  * Start      p_rabbitmq-server:1     ( node-2 )\n\n"
             "Executing Cluster Transition:\n"
             "  * Resource action: p_rabbitmq-server start on node-3\n")
    assert planned_nodes(shown, "p_rabbitmq-server") == {"node-2"}


def test_a_node_that_cannot_read_the_cluster_never_bootstraps(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unknown is not "nobody": when attrd or crm_node fail (a loaded host), a start waits
    for the next round instead of bootstrapping a second cluster beside the first."""
    from hacluster.agents import rabbitmq
    from hacluster.agents.ocf import Env

    state = tmp_path / "cluster"
    install_tools(tmp_path / "bin")
    set_partition(state, ["node-1", "node-2"])
    monkeypatch.setenv("HCT_CLUSTER_DIR", str(state))  # attrd_updater reads the process's
    monkeypatch.setenv("HCT_NODE", "node-2")
    env = Env(rabbitmq.INFO, "start", {
        "PATH": f"{tmp_path / 'bin'}:{CLEAN_PATH}", "HCT_CLUSTER_DIR": str(state),
        "HCT_NODE": "node-2", "OCF_RESOURCE_INSTANCE": "p_rabbitmq-server:1"})
    # node-1 is not starting and node-2 has waited long enough: its turn
    assert rabbitmq.may_bootstrap(env, "node-2", 999, 30)
    (state / "state.json").write_text("{")  # every tool call now fails (exit 1)
    assert not rabbitmq.may_bootstrap(env, "node-2", 999, 30)

"""The OpenStack service agents, on the stand-in daemon (the real services are not in Debian).

SPEC.md §6 common pattern: start as the service user with a pid file; the pid-file monitor
(heat, ceilometer) and the process-scan monitor (neutron, lbaas); stop with TERM then KILL;
the qdhcp-*/qrouter-* cleanup of dhcp and l3. Each agent also passes the real ocf-tester.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from agentkit import ocf_tester, require_ocf_tester, require_root_net, run_agent, unique

from hacluster.agents import procs, standin_daemon
from hacluster.agents.ocf import wait_for
from hacluster.agents.openstack import SERVICES, prepare_standins, service_named

OPENSTACK = [(("eayun" if s.agent == "neutron-agent-lbaas" else "mirantis"), s.agent)
             for s in SERVICES]


def service_params(root: Path, agent: str, user: str, **config: str) -> dict[str, str]:
    """binary -> the stand-in under the real binary's name; config files in `root`."""
    service = service_named(agent)
    binary = standin_daemon.install(root / "bin", os.path.basename(service.binary))
    conf = root / "etc" / f"{agent}.conf"
    conf.parent.mkdir(exist_ok=True)
    conf.write_text("".join(f"{k} = {v}\n" for k, v in config.items()))
    params = {"binary": str(binary), "user": user, "config": str(conf),
              "pid": str(root / "run" / f"{agent}.pid"), "log_file": str(root / f"{agent}.log")}
    if service.extra_config[0]:
        extra = root / "etc" / f"{agent}-{service.extra_config[0]}.ini"
        extra.write_text("")
        params[service.extra_config[0]] = str(extra)
    return params


@pytest.mark.parametrize("provider,agent", OPENSTACK, ids=[a for _, a in OPENSTACK])
def test_the_agent_passes_the_real_ocf_tester(provider: str, agent: str, open_dir: Path,
                                              service_user: str) -> None:
    require_ocf_tester()
    done = ocf_tester(provider, agent, service_params(open_dir, agent, service_user))
    assert done.returncode == 0 and "passed all tests" in done.stdout, done.stdout + done.stderr


def running(params: dict[str, str]) -> list[int]:
    return procs.find_processes(params["binary"])


def test_start_runs_the_daemon_as_the_service_user_with_its_config_files(
        open_dir: Path, service_user: str) -> None:
    params = service_params(open_dir, "neutron-agent-l3", service_user)
    assert run_agent("mirantis", "neutron-agent-l3", "start", params).rc == 0
    try:
        [pid] = running(params)
        assert procs.process_uid(pid) == procs.uid_of(service_user)
        argv = procs.cmdline(pid)
        assert argv[0] == "/usr/bin/python3" and params["binary"] in argv
        assert argv.count("--config-file") == 2 and params["plugin_config"] in argv
        assert Path(params["pid"]).read_text().strip() == str(pid)
    finally:
        run_agent("mirantis", "neutron-agent-l3", "stop", params)
    assert running(params) == [] and not Path(params["pid"]).exists()


def test_pid_file_monitor_empty_file_is_an_error_and_a_dead_pid_is_stopped(
        open_dir: Path, service_user: str) -> None:
    params = service_params(open_dir, "heat-engine", service_user)
    Path(params["pid"]).parent.mkdir(parents=True, exist_ok=True)
    Path(params["pid"]).write_text("")
    assert run_agent("mirantis", "heat-engine", "monitor", params).rc == 1
    Path(params["pid"]).write_text("999999\n")
    assert run_agent("mirantis", "heat-engine", "monitor", params).rc == 7
    assert run_agent("mirantis", "heat-engine", "stop", params).rc == 0
    assert not Path(params["pid"]).exists()


def test_a_daemon_that_dies_is_reported_not_running_by_the_recurring_monitor(
        open_dir: Path, service_user: str) -> None:
    params = service_params(open_dir, "ceilometer-agent-central", service_user)
    assert run_agent("mirantis", "ceilometer-agent-central", "start", params).rc == 0
    [pid] = running(params)
    os.kill(pid, signal.SIGUSR1)  # the stand-in exits 1 at once: a crash
    assert procs.wait_gone([pid], 60)
    assert run_agent("mirantis", "ceilometer-agent-central", "monitor", params).rc == 7
    assert run_agent("mirantis", "ceilometer-agent-central", "stop", params).rc == 0


def test_stop_kills_a_daemon_that_ignores_sigterm_after_timeout_minus_5_s(
        open_dir: Path, service_user: str) -> None:
    """The grace is the op timeout less 5 s (4 s here), not the 15 s used without one: the
    bounds leave a loaded machine 10 s of slack and still tell the two apart."""
    params = service_params(open_dir, "heat-engine", service_user, standin_ignore_sigterm="true")
    assert run_agent("mirantis", "heat-engine", "start", params).rc == 0
    [pid] = running(params)
    started = time.monotonic()
    stop = run_agent("mirantis", "heat-engine", "stop", params,
                     {"OCF_RESKEY_CRM_meta_timeout": "9000"})
    elapsed_s = time.monotonic() - started
    assert stop.rc == 0 and not procs.is_alive(pid)
    assert 4.0 <= elapsed_s < 14.0, elapsed_s
    assert "SIGTERM ignored" in Path(params["log_file"]).read_text()


def test_process_scan_adopts_a_running_daemon_and_rejects_a_foreign_pid_file(
        open_dir: Path, service_user: str) -> None:
    params = service_params(open_dir, "neutron-agent-ovs", service_user)
    assert run_agent("mirantis", "neutron-agent-ovs", "start", params).rc == 0
    try:
        [pid] = running(params)
        Path(params["pid"]).unlink()
        assert run_agent("mirantis", "neutron-agent-ovs", "monitor", params).rc == 0
        assert Path(params["pid"]).read_text().strip() == str(pid)
        Path(params["pid"]).write_text(f"{os.getppid()}\n")  # alive, but not the agent
        assert run_agent("mirantis", "neutron-agent-ovs", "monitor", params).rc == 1
    finally:
        assert run_agent("mirantis", "neutron-agent-ovs", "stop", params).rc == 0
    assert running(params) == []


def test_a_start_whose_daemon_exits_at_once_fails_and_leaves_no_pid_file(
        open_dir: Path, service_user: str) -> None:
    params = service_params(open_dir, "neutron-agent-metadata", service_user,
                            standin_exit_after_s="0.1")
    outcome = run_agent("mirantis", "neutron-agent-metadata", "start", params)
    assert outcome.rc == 1 and "did not start" in outcome.err
    assert not Path(params["pid"]).exists() and running(params) == []


@pytest.mark.parametrize("agent,prefix", [("neutron-agent-dhcp", "qdhcp-"),
                                          ("neutron-agent-l3", "qrouter-")])
def test_dhcp_and_l3_remove_their_namespaces_and_what_listens_in_them(
        agent: str, prefix: str, open_dir: Path, service_user: str) -> None:
    require_root_net()
    ns = prefix + unique("x")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    listener = subprocess.Popen(
        ["ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
         "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',6767))\ns.listen()\n"
         "time.sleep(600)"], start_new_session=True)
    try:
        assert wait_for(lambda: ":6767 " in subprocess.run(
            ["ip", "netns", "exec", ns, "ss", "-ltnH"], capture_output=True, text=True).stdout, 60)
        params = service_params(open_dir, agent, service_user)
        assert run_agent("mirantis", agent, "start", params).rc == 0
        assert listener.wait(60) is not None
        assert not os.path.exists(f"/run/netns/{ns}")
        assert run_agent("mirantis", agent, "stop", params).rc == 0
    finally:
        if listener.poll() is None:
            os.killpg(listener.pid, signal.SIGKILL)
        subprocess.run(["ip", "netns", "delete", ns], capture_output=True)


def test_nodes_sharing_a_host_keep_apart_through_their_own_path(open_dir: Path,
                                                                service_user: str) -> None:
    """binary=<bare name> is looked up on each node's PATH, so two nodes on one host (the
    demo) match only their own daemon, as two real controllers would."""
    nodes = {}
    for node in ("node-1", "node-2"):
        params = service_params(open_dir / node, "neutron-agent-l3", service_user)
        bindir = str(Path(params["binary"]).parent)
        nodes[node] = ({**params, "binary": "neutron-l3-agent"},
                       {"PATH": f"{bindir}:/usr/sbin:/usr/bin:/sbin:/bin"})
    try:
        assert run_agent("mirantis", "neutron-agent-l3", "start", *nodes["node-1"]).rc == 0
        assert run_agent("mirantis", "neutron-agent-l3", "monitor", *nodes["node-2"]).rc == 7
        assert run_agent("mirantis", "neutron-agent-l3", "start", *nodes["node-2"]).rc == 0
        assert run_agent("mirantis", "neutron-agent-l3", "stop", *nodes["node-1"]).rc == 0
        assert run_agent("mirantis", "neutron-agent-l3", "monitor", *nodes["node-1"]).rc == 7
        assert run_agent("mirantis", "neutron-agent-l3", "monitor", *nodes["node-2"]).rc == 0
    finally:
        for params, extra in nodes.values():
            run_agent("mirantis", "neutron-agent-l3", "stop", params, extra)


def test_prepared_standins_let_every_openstack_agent_start_and_stop(open_dir: Path,
                                                                   service_user: str) -> None:
    """What a demo uses: one call gives each agent a stand-in binary and config files."""
    sites = prepare_standins(open_dir, service_user)
    assert sorted(sites) == sorted(a for _, a in OPENSTACK)
    extra = {"HA_RSCTMP": str(open_dir / "rsctmp")}
    try:
        for provider, agent in OPENSTACK:
            assert run_agent(provider, agent, "start", sites[agent], extra).rc == 0, agent
            assert run_agent(provider, agent, "monitor", sites[agent], extra).rc == 0, agent
    finally:
        for provider, agent in OPENSTACK:
            assert run_agent(provider, agent, "stop", sites[agent], extra).rc == 0, agent


def test_bare_standins_name_the_binary_for_a_per_node_path(open_dir: Path,
                                                          service_user: str) -> None:
    sites = prepare_standins(open_dir, service_user, bare=True)
    assert sites["neutron-agent-l3"]["binary"] == "neutron-l3-agent"
    assert (open_dir / "bin" / "neutron-l3-agent").is_file()
    extra = {"PATH": f"{open_dir / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin",
             "HA_RSCTMP": str(open_dir / "rsctmp")}
    params = sites["heat-engine"]
    try:
        assert run_agent("mirantis", "heat-engine", "start", params, extra).rc == 0
        assert run_agent("mirantis", "heat-engine", "monitor", params, extra).rc == 0
    finally:
        assert run_agent("mirantis", "heat-engine", "stop", params, extra).rc == 0

"""The agents ship inside the package, run without the virtualenv and describe themselves.

Every agent is an executable under ocf_root()/resource.d/<provider>/<type>; meta-data is
valid against the OCF DTD; bad calls give the OCF codes of SPEC.md §5 with a message that
names the problem.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from agentkit import CLEAN_PATH, run_agent

from hacluster.agents import AGENTS, agent_path, ocf_root

DTD_DIR = "/usr/share/resource-agents"


def test_ocf_root_holds_every_agent_as_an_executable() -> None:
    assert (ocf_root() / "resource.d").is_dir()
    for provider, agent_type in AGENTS:
        path = agent_path(provider, agent_type)
        assert path.is_file() and os.access(path, os.X_OK), path
        assert path.read_text().startswith("#!/usr/bin/python3"), path


@pytest.mark.parametrize("provider,agent_type", AGENTS, ids=[t for _, t in AGENTS])
def test_meta_data_is_valid_ocf_and_needs_no_parameters(provider: str, agent_type: str) -> None:
    if shutil.which("xmllint") is None or not os.path.isfile(f"{DTD_DIR}/ra-api-1.dtd"):
        pytest.skip("xmllint or ra-api-1.dtd missing (Debian libxml2-utils, resource-agents)")
    done = subprocess.run([str(agent_path(provider, agent_type)), "meta-data"],
                          capture_output=True, text=True, env={"PATH": CLEAN_PATH}, timeout=30)
    assert done.returncode == 0, done.stderr
    assert f'<resource-agent name="{agent_type}"' in done.stdout
    lint = subprocess.run(["xmllint", "--noout", "--valid", "-"], input=done.stdout,
                          capture_output=True, text=True, cwd=DTD_DIR, timeout=30)
    assert lint.returncode == 0, lint.stderr


@pytest.mark.parametrize("provider,agent_type", AGENTS, ids=[t for _, t in AGENTS])
def test_an_unknown_action_is_unimplemented(provider: str, agent_type: str) -> None:
    assert run_agent(provider, agent_type, "frobnicate", {}).rc == 3


def test_an_agent_called_without_an_action_says_how_to_call_it() -> None:
    done = subprocess.run([str(agent_path("pacemaker", "ping"))], capture_output=True,
                          text=True, env={"PATH": CLEAN_PATH}, timeout=30)
    assert done.returncode == 2 and "usage:" in done.stderr


@pytest.mark.parametrize("provider,agent_type,params,rc,names", [
    ("mirantis", "ns_IPaddr2", {"nic": "br-ex", "base_veth": "a", "ns_veth": "b"}, 6, "ip"),
    ("mirantis", "ns_IPaddr2", {"ip": "10.0.0.300", "nic": "x", "base_veth": "a",
                                "ns_veth": "b"}, 6, "ip="),
    ("mirantis", "ns_IPaddr2", {"ip": "10.1.1.1", "nic": "x", "base_veth": "a", "ns_veth": "b",
                                "gateway_metric": "ten"}, 6, "gateway_metric"),
    ("mirantis", "ns_IPaddr2", {"ip": "10.1.1.1", "nic": "x", "base_veth": "a", "ns_veth": "b",
                                "other_networks": "10.2.0.0/33"}, 6, "other_networks"),
    ("pacemaker", "ping", {"host_list": " "}, 6, "host_list"),
    ("pacemaker", "ping", {"host_list": "127.0.0.1", "multiplier": "x"}, 6, "multiplier"),
    # SPEC.md §6.3: ns_haproxy answers a missing config or binary with 2 (ERR_ARGS)
    ("mirantis", "ns_haproxy", {"conffile": "/nonexistent/haproxy.cfg"}, 2, "conffile"),
    ("mirantis", "ns_haproxy", {"binpath": "/nonexistent/haproxy"}, 2, "/nonexistent/haproxy"),
    ("mirantis", "heat-engine", {"binary": "/nonexistent/heat-engine"}, 5, "heat-engine"),
    ("mirantis", "mysql-wss", {"datadir": "/nonexistent/mysql"}, 5, "datadir"),
    ("mirantis", "mysql-wss", {"config": "/etc/hostname", "datadir": "/tmp",
                               "master_timeout": "soon"}, 6, "master_timeout"),
    ("rabbitmq", "rabbitmq-server", {"bootstrap_wait": "soon"}, 6, "bootstrap_wait"),
    ("rabbitmq", "rabbitmq-server", {"node_port": "70000"}, 6, "node_port"),
    ("mirantis", "neutron-agent-dhcp", {"binary": "/bin/sh", "user": "root",
                                        "amqp_server_port": "amqp"}, 6, "amqp_server_port"),
    ("mirantis", "neutron-agent-l3", {"binary": "/bin/sh", "user": "no-such-user-hct"}, 5,
     "user"),
    ("mirantis", "neutron-agent-ovs", {"binary": "/bin/sh", "user": "root", "config": "/etc/passwd",
                                       "plugin_config": "/nonexistent/plugin.ini"}, 5,
     "/nonexistent/plugin.ini"),
])
def test_bad_parameters_fail_validate_and_start_with_a_code_naming_them(
        provider: str, agent_type: str, params: dict[str, str], rc: int, names: str) -> None:
    for action in ("validate-all", "start"):
        outcome = run_agent(provider, agent_type, action, params)
        assert outcome.rc == rc, (action, outcome)
        assert names in outcome.err, (action, outcome.err)
        assert "Traceback" not in outcome.err


def test_a_probe_with_a_bad_configuration_reports_not_running_and_stop_succeeds() -> None:
    params = {"binary": "/nonexistent/heat-engine"}
    probe = run_agent("mirantis", "heat-engine", "monitor", params,
                      {"OCF_RESKEY_CRM_meta_interval": "0"})
    assert probe.rc == 7
    assert run_agent("mirantis", "heat-engine", "stop", params).rc == 0
    assert run_agent("pacemaker", "ping", "stop", {"host_list": ""}).rc == 0


def test_ns_haproxy_without_its_binary_probes_not_running_and_stops_cleanly(
        tmp_path: Path) -> None:
    conf = tmp_path / "haproxy.cfg"
    conf.write_text(f"global\n    pidfile {tmp_path}/haproxy.pid\n")
    params = {"binpath": "/nonexistent/haproxy", "conffile": str(conf)}
    probe = run_agent("mirantis", "ns_haproxy", "monitor", params,
                      {"OCF_RESKEY_CRM_meta_interval": "0"})
    assert probe.rc == 7, probe
    stop = run_agent("mirantis", "ns_haproxy", "stop", params)
    assert stop.rc == 0, stop

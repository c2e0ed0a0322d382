"""The lab (hacluster.agents.lab): three simulated controllers on one host for the real agents.

Root only. Each node gets its own nics, gateway and names; ns_haproxy and ns_IPaddr2 run
with them side by side, the VIP answers from the node that holds it, a powered-off node's
VIP is unreachable (never routed out of the host), and `down` leaves the host as before.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from agentkit import namespaces, require_root_net, run_agent

from hacluster.agents.lab import Lab, down, power_off, set_gateway, up
from hacluster.agents.ocf import wait_for

VIP_SHARED = {"cidr_netmask": "24", "gateway": "link", "gateway_metric": "10",
              "iflabel": "ka", "other_networks": "false",
              "iptables_comment": "masquerade-for-public-net"}


def host_state() -> tuple[str, str, list[str], set[str], str]:
    rules = [line for line in subprocess.run(["iptables-save"], capture_output=True,
                                             text=True).stdout.splitlines()
             if line.startswith("-")]
    return (subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout,
            subprocess.run(["ip", "route"], capture_output=True, text=True).stdout, rules,
            namespaces(), Path("/proc/sys/net/ipv4/ip_forward").read_text())


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    require_root_net()
    made = Lab("hcl-t", 232, tmp_path / "lab")
    try:
        yield made
    finally:
        down(made)


def http(address: str) -> str:
    done = subprocess.run(["curl", "-s", "-m", "3", "--noproxy", "*",
                           f"http://{address}:8080/"], capture_output=True, text=True)
    return done.stdout


def agent(rsc: str, node: str, action: str, params: dict[str, dict[str, dict[str, str]]],
          home: Path) -> int:
    kind = {"vip__public": ("mirantis", "ns_IPaddr2"), "p_haproxy": ("mirantis", "ns_haproxy")}
    values = {**(VIP_SHARED if rsc == "vip__public" else {}), **params[rsc][node]}
    return run_agent(*kind[rsc], action, values, {"HA_RSCTMP": str(home / node)}).rc


def test_the_vip_answers_from_its_node_only_and_the_lab_leaves_nothing(
        lab: Lab, tmp_path: Path) -> None:
    before = host_state()
    params = up(lab)
    assert {params["vip__public"][n]["ns"] for n in params["vip__public"]} == {
        "hcl-t1-haproxy", "hcl-t2-haproxy", "hcl-t3-haproxy"}
    for node in ("node-1", "node-2"):
        assert agent("p_haproxy", node, "start", params, tmp_path) == 0
    assert agent("vip__public", "node-1", "start", params, tmp_path) == 0
    assert wait_for(lambda: http("10.232.0.2") == "served by node-1", 60)
    assert agent("vip__public", "node-2", "monitor", params, tmp_path) == 7
    power_off(lab, 1)
    assert http("10.232.0.2") == ""
    route = subprocess.run(["ip", "route", "get", "10.232.0.2"], capture_output=True,
                           text=True)
    assert route.returncode != 0 or "unreachable" in route.stdout, route.stdout
    assert agent("vip__public", "node-2", "start", params, tmp_path) == 0
    assert wait_for(lambda: http("10.232.0.2") == "served by node-2", 60)
    down(lab)
    assert host_state() == before


def test_a_gateway_can_stop_answering_for_one_node_only(lab: Lab) -> None:
    params = up(lab)
    gateways = {n: params["ping_vip__public"][n]["host_list"] for n in ("node-1", "node-2")}

    def pings(address: str) -> bool:
        return subprocess.run(["ping", "-n", "-q", "-c", "1", "-W", "1", address],
                              capture_output=True).returncode == 0

    assert pings(gateways["node-1"]) and pings(gateways["node-2"])
    set_gateway(lab, 1, reachable=False)
    assert not pings(gateways["node-1"]) and pings(gateways["node-2"])
    set_gateway(lab, 1, reachable=True)
    assert pings(gateways["node-1"])

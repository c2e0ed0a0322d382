"""ns_IPaddr2 and ns_haproxy for real, inside namespaces each test makes (root only).

A test 'node' namespace holds `br-ex` (the nic), wired to a client namespace; the agents
run inside the node namespace as they would on a controller, make their `haproxy`
namespace, veth pairs, VIP and NAT rules, and must take them away again (SPEC.md §6.1, §6.3).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from agentkit import (
    Lan,
    Site,
    http_get_from,
    namespaces,
    ocf_tester,
    require_ocf_tester,
    run_agent,
    tcp_get,
    unique,
)

from hacluster.agents.ocf import wait_for

VIP = "10.213.0.50"
PORT = 8080


def vip_params(site: Site, hapr_ns: str) -> dict[str, str]:
    site.extra.append(hapr_ns)
    return {"ip": VIP, "cidr_netmask": "24", "nic": site.nic, "ns": hapr_ns,
            "base_veth": "br-ex-hapr", "ns_veth": "hapr-p", "gateway": "link",
            "gateway_metric": "10", "iflabel": "ka", "other_networks": "10.214.0.0/16",
            "iptables_start_rules": "iptables -t mangle -I PREROUTING -i br-ex-hapr -j MARK"
            " --set-mark 0x2a ; iptables -t nat -I POSTROUTING -m mark --mark 0x2a ! -o br-ex"
            " -j MASQUERADE",
            "iptables_stop_rules": "iptables -t mangle -D PREROUTING -i br-ex-hapr -j MARK"
            " --set-mark 0x2a ; iptables -t nat -D POSTROUTING -m mark --mark 0x2a ! -o br-ex"
            " -j MASQUERADE",
            "iptables_comment": "masquerade-for-public-net"}


def haproxy_params(tmp_path: Path, hapr_ns: str, node_name: str) -> dict[str, str]:
    conf = tmp_path / "haproxy.cfg"
    conf.write_text(f"""global
    pidfile {tmp_path}/haproxy.pid
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend public
    bind {VIP}:{PORT}
    http-request return status 200 content-type text/plain string "served by {node_name}"
""")
    return {"ns": hapr_ns, "conffile": str(conf)}


def host_state(site: Site) -> tuple[str, str, list[str]]:
    """What the agents may change in the node namespace: links, routes, iptables rules (an
    empty table that iptables created on first use is not a rule)."""
    rules = [line for line in site.in_node("iptables-save").splitlines() if line.startswith("-")]
    return site.in_node("ip", "-br", "link"), site.in_node("ip", "route"), rules


def agent_extra(tmp_path: Path) -> dict[str, str]:
    return {"HA_RSCTMP": str(tmp_path / "rsctmp")}


@pytest.mark.slow
def test_ns_ipaddr2_passes_the_real_ocf_tester(site: Site, tmp_path: Path) -> None:
    require_ocf_tester()
    done = ocf_tester("mirantis", "ns_IPaddr2", vip_params(site, unique("hapr")),
                      agent_extra(tmp_path), netns=site.node)
    assert done.returncode == 0 and "passed all tests" in done.stdout, done.stdout + done.stderr


@pytest.mark.slow
def test_ns_haproxy_passes_the_real_ocf_tester(site: Site, tmp_path: Path) -> None:
    require_ocf_tester()
    hapr = unique("hapr")
    site.extra.append(hapr)
    done = ocf_tester("mirantis", "ns_haproxy", haproxy_params(tmp_path, hapr, "node-x"),
                      agent_extra(tmp_path), netns=site.node)
    assert done.returncode == 0 and "passed all tests" in done.stdout, done.stdout + done.stderr


def test_the_client_reaches_haproxy_on_the_vip_only_while_both_run(
        site: Site, tmp_path: Path) -> None:
    hapr = unique("hapr")
    vip, proxy = vip_params(site, hapr), haproxy_params(tmp_path, hapr, "node-x")
    extra = agent_extra(tmp_path)
    assert run_agent("mirantis", "ns_haproxy", "start", proxy, extra, site.node).rc == 0
    assert run_agent("mirantis", "ns_IPaddr2", "start", vip, extra, site.node).rc == 0
    assert wait_for(lambda: "served by node-x" in tcp_get(site, VIP, PORT), 60)
    rules = site.in_node("iptables-save")
    assert "masquerade-for-public-net" in rules and "masquerade-for-haproxy-namespace" in rules
    assert "10.214.0.0/16 dev hapr-p" in site.in_node("ip", "netns", "exec", hapr, "ip", "route")
    assert run_agent("mirantis", "ns_IPaddr2", "monitor", vip, extra, site.node).rc == 0
    assert run_agent("mirantis", "ns_IPaddr2", "stop", vip, extra, site.node).rc == 0
    assert tcp_get(site, VIP, PORT) == ""
    assert "masquerade-for-public-net" not in site.in_node("iptables-save")
    assert "br-ex-hapr" not in site.in_node("ip", "-br", "link")
    assert run_agent("mirantis", "ns_IPaddr2", "monitor", vip, extra, site.node).rc == 7
    assert run_agent("mirantis", "ns_haproxy", "stop", proxy, extra, site.node).rc == 0
    assert run_agent("mirantis", "ns_haproxy", "monitor", proxy, extra, site.node).rc == 7
    assert hapr in namespaces(), "the haproxy namespace stays for the next start"


def test_a_failed_vip_start_leaves_the_node_as_it_was(site: Site, tmp_path: Path) -> None:
    hapr = unique("hapr")
    vip = vip_params(site, hapr)
    vip["iptables_start_rules"] += " ; iptables -t nat -I NO_SUCH_CHAIN -j ACCEPT"
    before, spaces = host_state(site), namespaces()
    outcome = run_agent("mirantis", "ns_IPaddr2", "start", vip, agent_extra(tmp_path), site.node)
    assert outcome.rc == 1 and "NO_SUCH_CHAIN" in outcome.err
    assert host_state(site) == before
    assert namespaces() == spaces, "the namespace the failed start made is gone again"


def test_a_vip_start_without_carrier_on_the_nic_fails_and_makes_nothing(
        site: Site, tmp_path: Path) -> None:
    site.in_node("ip", "link", "set", site.nic, "down")
    hapr = unique("hapr")
    before, spaces = host_state(site), namespaces()
    outcome = run_agent("mirantis", "ns_IPaddr2", "start", vip_params(site, hapr),
                        agent_extra(tmp_path), site.node)
    assert outcome.rc == 1 and "no carrier on br-ex" in outcome.err
    assert (host_state(site), namespaces()) == (before, spaces)


def test_a_failed_haproxy_start_leaves_no_process_namespace_or_rule(
        site: Site, tmp_path: Path) -> None:
    hapr = unique("hapr")
    site.extra.append(hapr)
    proxy = haproxy_params(tmp_path, hapr, "node-x")
    Path(proxy["conffile"]).write_text(Path(proxy["conffile"]).read_text()
                                       + "    no-such-keyword here\n")
    before, spaces = host_state(site), namespaces()
    outcome = run_agent("mirantis", "ns_haproxy", "start", proxy, agent_extra(tmp_path),
                        site.node)
    assert outcome.rc == 1 and "haproxy exited" in outcome.err
    assert (host_state(site), namespaces()) == (before, spaces)
    assert not (tmp_path / "haproxy.pid").exists()


def test_haproxy_validate_needs_a_pidfile_line(tmp_path: Path) -> None:
    conf = tmp_path / "haproxy.cfg"
    conf.write_text("global\n    daemon\n")
    outcome = run_agent("mirantis", "ns_haproxy", "validate-all", {"conffile": str(conf)})
    assert outcome.rc == 6 and "pidfile" in outcome.err


def test_the_vip_moves_between_nodes_and_the_client_follows_it(lan: Lan, tmp_path: Path) -> None:
    """Two nodes on one LAN, haproxy on both; the VIP answers from the node that holds it and
    from nowhere else, and after a move (stop on one, start on the other, gratuitous ARP)
    the same client reaches the other node's haproxy."""
    calls = {}
    for node, ns in lan.nodes.items():
        hapr = unique("hapr")
        lan.extra.append(hapr)
        home = tmp_path / node
        home.mkdir()
        site = Site(ns, lan.client)
        vip = {**vip_params(site, hapr), "iptables_start_rules": "", "iptables_stop_rules": ""}
        calls[node] = (ns, vip, haproxy_params(home, hapr, node), agent_extra(home))
        assert run_agent("mirantis", "ns_haproxy", "start", calls[node][2], calls[node][3],
                         ns).rc == 0

    def vip(node: str, action: str) -> int:
        ns, params, _, extra = calls[node]
        return run_agent("mirantis", "ns_IPaddr2", action, params, extra, ns).rc

    assert vip("node-1", "start") == 0
    assert wait_for(lambda: "served by node-1" in http_get_from(lan.client, VIP, PORT), 60)
    assert vip("node-2", "monitor") == 7
    assert vip("node-1", "stop") == 0 and vip("node-2", "start") == 0
    # the client follows once the gratuitous ARPs, sent in the background, reach it
    assert wait_for(lambda: "served by node-2" in http_get_from(lan.client, VIP, PORT), 60)
    assert vip("node-1", "monitor") == 7 and vip("node-2", "stop") == 0
    assert http_get_from(lan.client, VIP, PORT) == ""

"""SPEC.md §8's operator scenarios, live: the EayunStack CIB on three haclusterd with the real
agents (VIPs in namespaces, ping, the real HAProxy; OpenStack agents on the stand-in daemon;
MariaDB and RabbitMQ as Dummy here, see test_eayunstack_galera_live.py for the real Galera).

Root only (skipped with the reason otherwise). One cluster for the module, in scenario
order: each test starts from a settled cluster and leaves one. "Served by node-N" is the
real HAProxy answering HTTP on the VIP, so a VIP counts only where a client reaches it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from eayunstack_live import VIP_MANAGEMENT, VIP_PUBLIC, Live, live_cluster, wait_until
from lxml import etree

from hacluster.agents import lab as labmod
from hacluster.agents import procs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    yield from live_cluster()

NODES = ["node-1", "node-2", "node-3"]
CLONES = ("clone_ping_vip__public", "clone_p_openstack-heat-engine",
          "clone_p_neutron-openvswitch-agent", "clone_p_neutron-metadata-agent",
          "clone_p_neutron-l3-agent", "clone_p_neutron-lbaas-agent", "clone_p_mysql",
          "clone_p_rabbitmq-server", "clone_p_haproxy")
SINGLES = ("vip__public", "vip__management", "p_openstack-ceilometer-central",
           "p_openstack-ceilometer-alarm-evaluator", "p_neutron-dhcp-agent")


def placement(live: Live, skip: str = "") -> dict[str, list[str]]:
    return {rsc: live.locate(rsc) for rsc in CLONES + SINGLES if rsc != skip}


def constraint_ids(live: Live) -> set[str]:
    xml = live.tool("cibadmin", "-Q", "-o", "constraints").stdout
    return {str(el.get("id")) for el in etree.fromstring(xml.encode()).iter()
            if el.get("id")}


def last_call(live: Live, rsc: str, node: str) -> str:
    """call-id of `rsc`'s last start/stop-type op on `node` (changes when it restarts)."""
    xml = live.tool("cibadmin", "-Q", "-o", "status").stdout
    root = etree.fromstring(xml.encode())
    for state in root.iter("node_state"):
        if state.get("uname") == node:
            for op in state.iter("lrm_rsc_op"):
                if op.get("id") == f"{rsc}_last_0":
                    return str(op.get("call-id"))
    return ""


def ok(done: object) -> None:
    assert done.returncode == 0, done.stderr


def test_a16_cold_start_starts_every_clone_everywhere_and_the_vip_once_pingd_is_set(
        live: Live) -> None:
    assert live.settled(240), live.logs()
    for clone in CLONES:
        assert live.locate(clone) == NODES, clone
    for single in SINGLES:
        assert len(live.locate(single)) == 1, single
    # each node's ping publishes pingd after its own dampen delay
    assert wait_until(lambda: live.tool("attrd_updater", "-Q", "-A", "-n", "pingd").stdout
                      .count('value="1000"') == 3, 60), live.logs()
    assert wait_until(lambda: live.served() == live.locate("vip__public")[0], 30)
    assert wait_until(lambda: live.served(VIP_MANAGEMENT) == live.locate("vip__management")[0],
                      30)


def test_a1_locate_answers_one_line_per_node_and_105_for_an_unknown_resource(
        live: Live) -> None:
    holder = live.locate("vip__public")[0]
    one = live.tool("crm_resource", "--locate", "--resource", "vip__public")
    assert (one.returncode, one.stdout) == (0, f"resource vip__public is running on: {holder}\n")
    clone = live.tool("crm_resource", "--locate", "--resource", "clone_p_haproxy")
    assert sorted(clone.stdout.splitlines()) == [
        f"resource clone_p_haproxy is running on: {node}" for node in NODES]
    primitive = live.tool("crm_resource", "--locate", "--resource", "p_haproxy")
    assert sorted(primitive.stdout.splitlines()) == [
        f"resource p_haproxy is running on: {node}" for node in NODES]
    unknown = live.tool("crm_resource", "--locate", "--resource", "no-such-resource")
    assert unknown.returncode == 105


def test_a2_disable_stops_only_the_vip_and_enable_starts_it_again(live: Live) -> None:
    others = placement(live, skip="vip__public")
    ok(live.tool("pcs", "resource", "disable", "vip__public"))
    assert wait_until(lambda: not live.locate("vip__public"), 60), live.logs()
    stopped = live.tool("crm_resource", "--locate", "--resource", "vip__public")
    assert stopped.returncode == 0 and "resource vip__public is NOT running" in stopped.stderr
    assert live.served() == ""
    assert live.settled() and placement(live, skip="vip__public") == others
    ok(live.tool("pcs", "resource", "enable", "vip__public"))
    assert wait_until(lambda: live.locate("vip__public") and live.served(), 60), live.logs()
    assert live.served() == live.locate("vip__public")[0]
    assert live.settled() and placement(live, skip="vip__public") == others


def test_a4_move_prefers_a_node_ban_moves_away_and_clear_leaves_it_in_place(
        live: Live) -> None:
    holder = live.locate("vip__public")[0]
    target = next(n for n in NODES if n != holder)
    ok(live.tool("crm_resource", "--move", "--resource", "vip__public", "--node", target))
    assert "cli-prefer-vip__public" in constraint_ids(live)
    assert wait_until(lambda: live.served() == target, 60), live.logs()
    ok(live.tool("crm_resource", "--move", "--resource", "vip__public"))  # no node: a ban
    assert f"cli-ban-vip__public-on-{target}" in constraint_ids(live)
    assert wait_until(lambda: live.served() not in ("", target), 60), live.logs()
    now = live.served()
    ok(live.tool("pcs", "resource", "clear", "vip__public"))
    assert not {i for i in constraint_ids(live) if i.startswith("cli-")}
    assert live.settled() and live.locate("vip__public") == [now], "stickiness keeps it"
    assert live.served() == now


def test_a5_a_ban_of_the_primitive_stops_only_that_nodes_clone_instance(live: Live) -> None:
    others = placement(live, skip="clone_p_openstack-heat-engine")
    ok(live.tool("pcs", "resource", "ban", "p_openstack-heat-engine", "node-2"))
    assert "cli-ban-p_openstack-heat-engine-on-node-2" in constraint_ids(live)
    assert wait_until(lambda: live.locate("clone_p_openstack-heat-engine")
                      == ["node-1", "node-3"], 60), live.logs()
    assert live.settled() and placement(live, skip="clone_p_openstack-heat-engine") == others
    ok(live.tool("pcs", "resource", "clear", "p_openstack-heat-engine", "node-2"))
    assert wait_until(lambda: live.locate("clone_p_openstack-heat-engine") == NODES, 60)
    assert live.settled() and placement(live) == {**others,
                                                   "clone_p_openstack-heat-engine": NODES}


def test_a7_a_lost_gateway_moves_the_public_vip_only_and_no_gateway_stops_it(
        live: Live) -> None:
    holder = live.locate("vip__public")[0]
    management = live.locate("vip__management")
    index = int(holder[-1])
    labmod.set_gateway(live.lab, index, reachable=False)
    try:
        assert wait_until(lambda: live.served() not in ("", holder), 90), live.logs()
        assert live.settled() and live.locate("vip__management") == management
        for other in (1, 2, 3):
            labmod.set_gateway(live.lab, other, reachable=False)
        # each node's pingd drops after its own dampen delay: the VIP may hop to a node
        # whose pingd is still up before it stops for good
        assert wait_until(lambda: live.tool("attrd_updater", "-Q", "-A", "-n", "pingd").stdout
                          .count('value="0"') == 3 and not live.locate("vip__public")
                          and live.settled(5), 120, 1.0), live.logs()
        assert live.served() == ""
    finally:
        for other in (1, 2, 3):
            labmod.set_gateway(live.lab, other, reachable=True)
    assert wait_until(lambda: live.served(), 90), live.logs()
    assert live.settled() and live.locate("vip__management") == management


def kill_haproxy(live: Live, node: str) -> int:
    pid = int(Path(live.lab.root / node / "haproxy.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    return pid


def haproxy_pid(live: Live, node: str) -> int:
    try:
        return int(Path(live.lab.root / node / "haproxy.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def test_a9_a_killed_haproxy_is_recovered_in_place_and_the_third_failure_moves_the_vips(
        live: Live) -> None:
    holder = live.locate("vip__public")[0]
    vip_call = last_call(live, "vip__public", holder)
    killed = kill_haproxy(live, holder)
    assert wait_until(lambda: haproxy_pid(live, holder) not in (0, killed)
                      and live.served() == holder, 60), live.logs()
    assert live.settled() and live.locate("vip__public") == [holder]
    assert last_call(live, "vip__public", holder) == vip_call, "the VIP was not restarted"
    for _ in range(2):  # migration-threshold=3: the third failure bans haproxy there
        assert wait_until(lambda: haproxy_pid(live, holder) and live.locate("p_haproxy")
                          == NODES and live.settled(5), 90), live.logs()
        killed = kill_haproxy(live, holder)
        assert wait_until(lambda k=killed: haproxy_pid(live, holder) != k, 60), live.logs()
    assert wait_until(lambda: holder not in live.locate("p_haproxy")
                      and live.served() not in ("", holder), 90), live.logs()
    assert live.settled() and holder not in live.locate("vip__management")
    ok(live.tool("crm_resource", "--cleanup", "--resource", "p_haproxy"))
    assert wait_until(lambda: live.locate("p_haproxy") == NODES, 90), live.logs()
    assert live.settled()


def test_a3_disabling_the_ovs_clone_stops_dhcp_and_l3_with_it_and_enable_brings_all_back(
        live: Live) -> None:
    dependents = ("clone_p_neutron-openvswitch-agent", "p_neutron-dhcp-agent",
                  "clone_p_neutron-l3-agent")
    others = {rsc: nodes for rsc, nodes in placement(live).items() if rsc not in dependents}
    ok(live.tool("pcs", "resource", "disable", "clone_p_neutron-openvswitch-agent"))
    assert wait_until(lambda: not any(live.locate(rsc) for rsc in dependents)
                      and live.settled(5), 120, 1.0), live.logs()
    assert {rsc: nodes for rsc, nodes in placement(live).items()
            if rsc not in dependents} == others
    ok(live.tool("pcs", "resource", "enable", "clone_p_neutron-openvswitch-agent"))
    assert wait_until(lambda: live.locate("clone_p_neutron-openvswitch-agent") == NODES
                      and live.locate("clone_p_neutron-l3-agent") == NODES
                      and len(live.locate("p_neutron-dhcp-agent")) == 1
                      and live.settled(5), 120, 1.0), live.logs()
    assert {rsc: nodes for rsc, nodes in placement(live).items()
            if rsc not in dependents} == others


def test_a8_haproxy_banned_on_the_vip_node_moves_both_vips_away_then_stops_there(
        live: Live) -> None:
    holder = live.locate("vip__public")[0]
    ok(live.tool("pcs", "resource", "ban", "clone_p_haproxy", holder))
    assert wait_until(lambda: holder not in live.locate("clone_p_haproxy")
                      and live.locate("vip__public") not in ([], [holder])
                      and holder not in live.locate("vip__management")
                      and live.settled(5), 120, 1.0), live.logs()
    assert wait_until(lambda: live.served() not in ("", holder), 30), live.logs()
    assert len(live.locate("vip__management")) == 1
    moved = (live.locate("vip__public"), live.locate("vip__management"))
    ok(live.tool("pcs", "resource", "clear", "clone_p_haproxy"))
    assert wait_until(lambda: live.locate("clone_p_haproxy") == NODES and live.settled(5),
                      120, 1.0), live.logs()
    assert (live.locate("vip__public"), live.locate("vip__management")) == moved, \
        "stickiness keeps the VIPs where they went"


def histories(live: Live) -> dict[tuple[str, str], str]:
    """{(node, resource): call-id of its last one-shot op}: a probe, start or stop of the
    resource there gives it a new one, so equal call-ids prove "untouched"."""
    root = etree.fromstring(live.tool("cibadmin", "-Q", "-o", "status").stdout.encode())
    return {(str(state.get("uname")), str(op.get("id")).removesuffix("_last_0")):
            str(op.get("call-id"))
            for state in root.iter("node_state") for op in state.iter("lrm_rsc_op")
            if str(op.get("id")).endswith("_last_0")}


def touched(before: dict[tuple[str, str], str], after: dict[tuple[str, str], str]) -> set[str]:
    """"resource@node" of every history that changed between two snapshots."""
    return {f"{rsc}@{node}" for node, rsc in sorted(before.keys() | after.keys())
            if before.get((node, rsc)) != after.get((node, rsc))}


def fail_count(live: Live, rsc: str, node: str) -> int:
    """The sum of `rsc`'s fail-count-<rsc>#<op>_<interval> attributes on `node`."""
    root = etree.fromstring(live.tool("cibadmin", "-Q", "-o", "status").stdout.encode())
    return sum(int(str(pair.get("value")).replace("INFINITY", "1000000"))
               for state in root.iter("node_state") if state.get("uname") == node
               for pair in state.iter("nvpair")
               if str(pair.get("name")).startswith(f"fail-count-{rsc}#"))


def failures(live: Live, rsc: str, node: str) -> list[str]:
    """The ids of `rsc`'s recorded failed operations on `node`."""
    root = etree.fromstring(live.tool("cibadmin", "-Q", "-o", "status").stdout.encode())
    return [str(op.get("id")) for state in root.iter("node_state")
            if state.get("uname") == node for op in state.iter("lrm_rsc_op")
            if op.get("id") == f"{rsc}_last_failure_0"]


OVS, L3, DHCP = "p_neutron-openvswitch-agent", "p_neutron-l3-agent", "p_neutron-dhcp-agent"


def neutron_settled(live: Live, ovs: list[str], l3: list[str]) -> bool:
    return (live.locate(OVS) == ovs and live.locate(L3) == l3
            and len(live.locate(DHCP)) == 1 and live.settled(5))


def test_a6_banning_ovs_on_the_dhcp_node_moves_dhcp_and_stops_ovs_and_l3_there_only(
        live: Live) -> None:
    home = live.locate(DHCP)[0]
    rest = [n for n in NODES if n != home]
    before = histories(live)
    ok(live.tool("pcs", "resource", "ban", OVS, home))
    assert wait_until(lambda: neutron_settled(live, rest, rest), 120, 1.0), live.logs()
    moved = live.locate(DHCP)[0]
    assert moved in rest
    assert touched(before, histories(live)) == {
        f"{OVS}@{home}", f"{L3}@{home}", f"{DHCP}@{home}", f"{DHCP}@{moved}"}
    before = histories(live)
    ok(live.tool("pcs", "resource", "clear", OVS))
    assert wait_until(lambda: neutron_settled(live, NODES, NODES), 120, 1.0), live.logs()
    assert live.locate(DHCP) == [moved], "stickiness keeps dhcp where it went"
    assert touched(before, histories(live)) == {f"{OVS}@{home}", f"{L3}@{home}"}
    # banning the clone (its id this time) on a node without dhcp stops only ovs and l3 there
    other = next(n for n in rest if n != moved)
    before = histories(live)
    ok(live.tool("pcs", "resource", "ban", "clone_p_neutron-openvswitch-agent", other))
    left = [n for n in NODES if n != other]
    assert wait_until(lambda: neutron_settled(live, left, left), 120, 1.0), live.logs()
    assert live.locate(DHCP) == [moved]
    assert touched(before, histories(live)) == {f"{OVS}@{other}", f"{L3}@{other}"}
    ok(live.tool("pcs", "resource", "clear", "clone_p_neutron-openvswitch-agent"))
    assert wait_until(lambda: neutron_settled(live, NODES, NODES), 120, 1.0), live.logs()
    assert live.locate(DHCP) == [moved]


def kill_ovs(live: Live, node: str) -> list[int]:
    """SIGKILL `node`'s ovs agent (its stand-in daemon): its next monitor finds none."""
    binary = live.lab.node_dir(int(node[-1])) / "bin" / "neutron-openvswitch-agent"
    pids = procs.find_processes(f"{binary} ")
    assert pids, f"no ovs agent runs on {node}"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


def recover_ovs(live: Live, node: str) -> tuple[set[str], list[str]]:
    """Kill ovs on `node`, wait for its in-place recovery; the histories that changed and
    where dhcp runs once recovered. Then leaves no fail count behind (a cleanup)."""
    before = histories(live)
    kill_ovs(live, node)
    assert wait_until(lambda: histories(live).get((node, OVS)) != before[(node, OVS)]
                      and fail_count(live, OVS, node) >= 1
                      and neutron_settled(live, NODES, NODES), 120, 1.0), live.logs()
    changed = touched(before, histories(live))
    dhcp = live.locate(DHCP)
    ok(live.tool("crm_resource", "--cleanup", "--resource", OVS, "--node", node))
    assert wait_until(lambda: fail_count(live, OVS, node) == 0
                      and neutron_settled(live, NODES, NODES), 60, 1.0), live.logs()
    return changed, dhcp


def test_a11_ovs_failing_on_a_node_without_dhcp_restarts_ovs_and_l3_there_only(
        live: Live) -> None:
    dhcp = live.locate(DHCP)
    node = next(n for n in NODES if n not in dhcp)
    assert recover_ovs(live, node) == ({f"{OVS}@{node}", f"{L3}@{node}"}, dhcp)


def test_a12_ovs_failing_on_the_dhcp_node_restarts_ovs_dhcp_and_l3_there(live: Live) -> None:
    node = live.locate(DHCP)[0]
    # where dhcp runs is asserted once ovs is recovered, before the cleanup: the one CI
    # check that saw dhcp elsewhere saw it after `crm_resource --cleanup` of ovs there
    # (open question, see the issue 12 note), with the recovery itself as SPEC says
    assert recover_ovs(live, node) == (
        {f"{OVS}@{node}", f"{L3}@{node}", f"{DHCP}@{node}"}, [node])


def drop_vip(live: Live, node: str) -> None:
    """Delete the public VIP's address inside `node`'s haproxy namespace: its next monitor
    (every 3 s) returns 7."""
    params = labmod.vip_params(live.lab, int(node[-1]), "public")
    shown = subprocess.run(["ip", "-n", params["ns"], "-o", "-4", "addr", "show"],
                           capture_output=True, text=True, check=True).stdout
    cidr, dev = next((line.split()[3], line.split()[1]) for line in shown.splitlines()
                     if f" {VIP_PUBLIC}/" in line)
    subprocess.run(["ip", "-n", params["ns"], "addr", "del", cidr, "dev", dev], check=True)


def test_a10_three_vip_monitor_failures_move_the_public_vip_and_nothing_else(
        live: Live) -> None:
    holder = live.locate("vip__public")[0]
    before = histories(live)
    for count in (1, 2):  # recovered in place (stop, start) while under migration-threshold=3
        previous = histories(live)[(holder, "vip__public")]
        drop_vip(live, holder)
        assert wait_until(lambda p=previous: histories(live)[(holder, "vip__public")] != p
                          and live.served() == holder and live.settled(5), 90, 1.0), \
            live.logs()
        assert fail_count(live, "vip__public", holder) == count
    drop_vip(live, holder)
    assert wait_until(lambda: live.locate("vip__public") not in ([], [holder])
                      and live.settled(5), 90, 1.0), live.logs()
    moved = live.locate("vip__public")[0]
    assert wait_until(lambda: live.served() == moved, 30), live.logs()
    assert fail_count(live, "vip__public", holder) == 3
    assert touched(before, histories(live)) == {f"vip__public@{holder}", f"vip__public@{moved}"}


def test_a17_cleanup_forgets_the_failures_and_the_kept_off_node_may_host_it_again(
        live: Live) -> None:
    # after A10: three failures keep vip__public off `failed` (until failure-timeout=60s)
    failed = next(n for n in NODES if fail_count(live, "vip__public", n) >= 3)
    holder = live.locate("vip__public")[0]
    ok(live.tool("crm_resource", "--move", "--resource", "vip__public", "--node", failed))
    assert live.settled()
    placed = live.locate("vip__public")
    if fail_count(live, "vip__public", failed) >= 3:  # else failure-timeout passed (load)
        assert placed == [holder], "the fail count outweighs the move's INFINITY preference"
    before = histories(live)
    ok(live.tool("crm_resource", "--cleanup", "--resource", "vip__public", "--node", failed))
    assert wait_until(lambda: live.served() == failed and live.settled(5), 90, 1.0), \
        live.logs()
    assert fail_count(live, "vip__public", failed) == 0
    assert not failures(live, "vip__public", failed), "the failure history is cleared"
    assert touched(before, histories(live)) == {f"vip__public@{n}" for n in {failed, *placed}}
    ok(live.tool("pcs", "resource", "clear", "vip__public"))
    assert live.settled() and live.locate("vip__public") == [failed], "stickiness keeps it"


def clone_evidence(live: Live, clone: str) -> str:
    """The lines that tell why `clone` is not running somewhere: fail counts from crm_mon,
    and each running node's last log lines naming its primitive."""
    primitive = clone.removeprefix("clone_")
    shown = live.tool("crm_mon", "-1", "-f").stdout.splitlines()
    lines = [line.strip() for line in shown if primitive in line or "fail" in line.lower()]
    for node in live.cluster.nodes:
        if node.is_running() and node.log.exists():
            named = [line[-160:] for line in node.log.read_text(errors="replace").splitlines()
                     if primitive in line]
            lines += [f"node-{node.index}: {line}" for line in named[-6:]]
    return " | ".join(lines)[-3000:]


def test_a13_the_node_of_the_vips_goes_down_and_the_survivors_take_over(live: Live) -> None:
    # generous deadlines: in a loaded `make test` the rejoin (probes of 14 resources, then 9
    # clone starts in order) takes minutes; the waits end as soon as the condition holds
    holder = live.locate("vip__public")[0]
    index = int(holder[-1])
    live.power_off(index)
    survivors = [n for n in NODES if n != holder]
    assert wait_until(lambda: live.served() in survivors, 120), live.logs()
    assert wait_until(lambda: all(live.locate(single)[:1] in ([n] for n in survivors)
                                  for single in SINGLES), 180, 1.0), live.logs()
    assert live.settled(300), live.logs()
    # every clone keeps running on both survivors: a fail count cleaned up earlier (A9's
    # haproxy, A10's VIP) must not come back when attrd's writer changes with node-1 gone
    for clone in CLONES:
        assert live.locate(clone) == survivors, (clone, clone_evidence(live, clone))
    live.cluster.start(index)
    assert wait_until(lambda: live.locate("clone_p_haproxy") == NODES, 300, 1.0), live.logs()
    assert live.settled(300), live.logs()
    for clone in CLONES:
        assert live.locate(clone) == NODES, clone

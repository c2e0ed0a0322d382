"""Our pcs vs the real pcs 0.11 (`pcs -f`) on copies of one CIB: the EayunStack configuration
built step by step, then moved, banned, cleared, updated, disabled, regrouped, put in standby
and deleted, with bad input along the way. After every command the configuration sections
must be equal (lifetime timestamps blanked) and the exit statuses must agree."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from tests.differential.realtools import configuration, real_tool, run_ours, run_real

from hacluster.cli import pcs

SCRIPT = """
property set stonith-enabled=false
property set no-quorum-policy=ignore start-failure-is-fatal=false symmetric-cluster=false
resource create vip__public ocf:heartbeat:IPaddr2 ip=127.100.0.2 cidr_netmask=24 op monitor interval=3 timeout=30 meta migration-threshold=3 failure-timeout=60 resource-stickiness=1
resource create vip__management ocf:heartbeat:IPaddr2 ip=127.100.1.2 cidr_netmask=24 op monitor interval=3 timeout=30
resource create ping_vip__public ocf:pacemaker:ping host_list=127.0.0.1 multiplier=1000 dampen=30s timeout=3s op monitor interval=20 timeout=30 clone
resource create p_haproxy ocf:heartbeat:Dummy op monitor interval=30 timeout=60 clone interleave=true
resource create p_neutron-openvswitch-agent ocf:heartbeat:Dummy clone interleave=true
resource create p_neutron-dhcp-agent ocf:heartbeat:Dummy meta resource-stickiness=1
resource create p_neutron-l3-agent ocf:heartbeat:Dummy clone interleave=true
resource create p_mysql ocf:heartbeat:Stateful promotable notify=true
constraint location vip__public prefers node-1=100 node-2=100 node-3=100
constraint location ping_vip__public-clone prefers node-1=100 node-2=100 node-3=100
constraint location vip__public rule score=-INFINITY not_defined pingd or pingd lte 0
constraint location vip__public rule score=-INFINITY pingd lte 0 or not_defined pingd
constraint colocation add vip__public with p_haproxy-clone INFINITY
constraint colocation add vip__management with p_haproxy-clone
constraint colocation add p_neutron-dhcp-agent with p_neutron-openvswitch-agent-clone INFINITY
constraint order p_neutron-openvswitch-agent-clone then p_neutron-dhcp-agent
constraint order start p_neutron-openvswitch-agent-clone then start p_neutron-l3-agent-clone kind=Mandatory
constraint colocation add p_neutron-l3-agent-clone with p_neutron-openvswitch-agent-clone
resource move-with-constraint vip__public node-2
resource ban p_neutron-dhcp-agent node-3
resource ban p_neutron-dhcp-agent node-2 lifetime=PT1H
resource clear vip__public
resource clear p_neutron-dhcp-agent
resource update vip__public cidr_netmask=32
resource update vip__public op monitor interval=5 timeout=20
resource meta vip__management resource-stickiness=1 migration-threshold=3
resource disable vip__management
resource enable vip__management
resource op add p_neutron-dhcp-agent monitor interval=20s timeout=10
resource op delete p_neutron-dhcp-agent reload
resource op defaults update timeout=60s
resource defaults update resource-stickiness=1
resource create p_ceilometer-central ocf:heartbeat:Dummy --group g_ceilometer
resource create p_ceilometer-alarm ocf:heartbeat:Dummy --group g_ceilometer --disabled
resource group remove g_ceilometer p_ceilometer-alarm
resource group add g_ceilometer p_ceilometer-alarm
node standby node-2
node unstandby node-2
node maintenance node-3
node attribute node-1 rack=1
node utilization node-1 cpu=8
resource utilization p_neutron-dhcp-agent cpu=1
constraint delete colocation-vip__management-p_haproxy-clone-INFINITY
resource delete p_neutron-l3-agent
resource clone p_neutron-dhcp-agent
resource unclone p_neutron-dhcp-agent-clone
property unset symmetric-cluster
stonith create fence1 fence_watchdog
stonith create fence2 fence_legacy --force
stonith level add 1 node-1 fence1
stonith level add 2 node-1 fence1 fence2
stonith level add 1 node-1 nope
constraint location add loc-extra p_mysql-clone node-2 50
constraint colocation add Promoted p_mysql-clone with vip__public 100
constraint order stop vip__public then demote p_mysql-clone kind=Optional
resource promotable p_ceilometer-central
resource ungroup g_ceilometer
resource move-with-constraint vip__management node-3 lifetime=PT30M
resource op delete vip__management-start-interval-0s
resource update p_mysql meta target-role=Stopped
resource delete g_ceilometer
property set maintenance-mode=false
resource create vip__public ocf:heartbeat:Dummy
constraint location nope prefers node-1
constraint location vip__public prefers node-1=abc
property set foo=bar
property set stonith-enabled=maybe
resource create bad ocf:heartbeat:Dummy bogus=1
resource create bad ocf:heartbeat:Dummy bogus=1 --force
resource create 1bad ocf:heartbeat:Dummy
resource create x ocf:heartbeat:NoSuchAgent
resource move vip__public node-1
resource delete nope
resource bogus
resource enable nope
constraint delete nope
constraint colocation add vip__public with nope
constraint ref vip__public
resource config
constraint
property config
"""
NODES = ("node-1", "node-2", "node-3")


def script() -> list[list[str]]:
    return [shlex.split(line) for line in SCRIPT.strip().splitlines()]


def base_cib(path: Path) -> None:
    cibadmin = real_tool("cibadmin")
    text = subprocess.run([cibadmin, "--empty"], capture_output=True, text=True,
                          check=True).stdout
    nodes = "".join(f'<node id="{i}" uname="{n}"/>' for i, n in enumerate(NODES, 1))
    path.write_text(text.replace("<nodes/>", f"<nodes>{nodes}</nodes>"))


@pytest.mark.slow
def test_pcs_script_builds_the_same_cib_as_the_real_pcs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = real_tool("pcs")
    theirs, ours = tmp_path / "real.xml", tmp_path / "ours.xml"
    base_cib(theirs)
    ours.write_bytes(theirs.read_bytes())
    failures = []
    commands = script()
    for words in commands:
        real = run_real([tool, "-f", str(theirs), *words], theirs)
        mine = run_ours(pcs.main, ["-f", str(ours), *words], ours, monkeypatch)
        same = configuration(theirs) == configuration(ours)
        if real[0] != mine[0] or not same:
            failures.append((" ".join(words), real[0], mine[0], same, real[2][:300],
                             mine[2][:300]))
    print(f"pcs script: {len(commands) - len(failures)}/{len(commands)} commands agree")
    assert len(commands) >= 40
    assert not failures, "\n".join(repr(f) for f in failures)

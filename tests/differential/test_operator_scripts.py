"""More command scripts where random scripts (bench/cmdfuzz.py, session 6 seeds) found ours
answering differently from the real pcs 0.11 / Pacemaker 2.1.5 tools; each runs through
the real tools and ours on copies of one CIB (tests/differential/fuzzrun.py) and must agree
after every command in the configuration section, the exit status, the first stderr line
and, for listings, stdout."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.differential import fuzzrun
from tests.differential.test_command_scripts import run_commands, script_lines

SCRIPTS = {
    "clone options an agent cannot honour": """
        pcs resource create d ocf:pacemaker:Dummy
        pcs resource create s ocf:pacemaker:Stateful promotable
        pcs resource create p ocf:pacemaker:Dummy promotable
        pcs resource create p ocf:pacemaker:ping promotable notify=true
        pcs resource create p ocf:pacemaker:Dummy clone promotable=true
        pcs resource create p ocf:pacemaker:Dummy promotable --force
        pcs resource create h ocf:heartbeat:Dummy promotable
        pcs resource promotable d
        pcs resource promotable d --force
        pcs resource clone d promotable=true
        pcs resource create m ocf:pacemaker:Dummy --group g
        pcs resource promotable g
        pcs resource promotable g --force
        pcs resource create x ocf:heartbeat:NoSuchAgent --force
        pcs resource clone x
        pcs resource create l lsb:nosuch --force
        pcs resource clone l globally-unique=true
    """,
    "updating and adding operations": """
        pcs resource create s ocf:pacemaker:Stateful
        pcs resource update s op monitor interval=10
        pcs resource update s op monitor interval=12 role=Promoted timeout=5
        pcs resource update s op start timeout=9
        pcs resource op add s monitor interval=11
        pcs resource op add s monitor interval=13
        pcs resource op add s monitor interval=14 role=Promoted
        pcs resource op add s stop interval=x
        pcs resource op add s stop interval=0
        pcs resource update s
        pcs resource update s fake=1 op_sleep=2 bogus=1
        pcs resource update s bogus=1
        cibadmin --create -o resources --xml-text '<primitive id="x" class="ocf" provider="heartbeat" type="Dummy"/>'
        pcs resource update x meta target-role=Started
        pcs resource create n ocf:heartbeat:NoSuchAgent --force
        pcs resource update n meta priority=1
        pcs resource update n meta priority=1 --force
    """,
    "moving clones, lifetimes, bans without a node": """
        pcs resource create a ocf:heartbeat:Dummy clone
        pcs resource create b ocf:heartbeat:Dummy
        pcs resource create s ocf:pacemaker:Stateful promotable
        pcs resource move-with-constraint a node-1
        pcs resource move-with-constraint a-clone node-1
        pcs resource move-with-constraint s node-1
        pcs resource move-with-constraint s node-1 --promoted
        pcs resource move-with-constraint s-clone node-1
        pcs resource ban b node-1 lifetime=bogus
        pcs resource ban b node-1 lifetime=30m
        pcs resource move-with-constraint b node-2 lifetime=30m
        pcs resource move-with-constraint nope node-2 lifetime=bogus
        pcs resource ban b node-9 lifetime=30m
        crm_resource --ban -r b
        crm_resource --move -r s-clone
        crm_resource --ban -r s
        crm_resource --ban -r b -N node-1 --lifetime bogus
        crm_resource --ban -r nope -N node-1 --lifetime bogus
        crm_resource --move -r b -N node-9 --lifetime 30m
    """,
    "grouping: unknown, cloned, duplicate and present members, emptied groups": """
        pcs resource create a ocf:heartbeat:Dummy --group g1
        pcs resource create b ocf:heartbeat:Dummy
        pcs resource create c ocf:heartbeat:Dummy clone
        pcs resource group add g2 a
        pcs resource group add g2 b b
        pcs resource group add g3 b nope c
        pcs resource group add c-clone b c
        pcs resource group add g2 b
        pcs resource group add g2 b
        pcs resource group add g2 g2
        pcs resource group add g5 c-clone
        pcs resource create d ocf:heartbeat:Dummy --group g4
        pcs constraint location g4 prefers node-1
        pcs resource group add g2 d
    """,
    "deleting groups, clones and last members reports as pcs does": """
        pcs resource create a ocf:heartbeat:Dummy --group g1
        pcs resource create a2 ocf:heartbeat:Dummy --group g1
        pcs resource create b ocf:heartbeat:Dummy
        pcs resource create c ocf:heartbeat:Dummy clone
        pcs constraint location g1 prefers node-1
        pcs constraint colocation add b with g1
        pcs constraint order a then b
        pcs constraint location b prefers node-2
        pcs constraint order b then c-clone
        pcs constraint location c-clone prefers node-2
        pcs resource create d ocf:heartbeat:Dummy --group g2
        pcs resource clone g2
        pcs constraint location g2-clone prefers node-1
        pcs constraint colocation add c-clone with g2-clone
        pcs resource create e ocf:heartbeat:Dummy --group g3
        pcs constraint location g3 prefers node-1
        pcs constraint location e prefers node-1
        pcs resource delete g1
        pcs resource delete b
        pcs resource delete c-clone
        pcs resource delete g2-clone
        pcs resource delete e
    """,
    "cibadmin shows the document the schema refused": """
        pcs resource create a ocf:heartbeat:Dummy
        cibadmin --create -o constraints --xml-text '<bogus id="b1"/>'
        cibadmin --create -o resources --xml-text '<rsc_location id="l1" rsc="a" node="node-1" score="1"/>'
        cibadmin --create -o constraints --xml-text '<rsc_location id="l3" rsc="nope" node="node-1" score="1"/>'
        cibadmin --create -o resources --xml-text '<primitive id="a2" class="bogus" type="Dummy"/>'
        cibadmin --create -o constraints --xml-text '<rsc_location id="a" rsc="a" node="node-1" score="1"/>'
        cibadmin --create -o constraints --xml-text '<rsc_location id="l5" rsc="a" node="node-1" score="abc"/>'
        cibadmin --modify --xml-text '<primitive id="a" class="bogus"/>'
        cibadmin --replace -o resources --xml-text '<primitive id="a" class="bogus" type="x"/>'
        cibadmin -Q -o
        cibadmin -Q --scope
        crm_resource -r
        crm_resource --resource
        crm_attribute -n
    """,
    "crm_attribute without a name": """
        crm_attribute -G
        crm_attribute
        pcs property set stonith-timeout=60s placement-strategy=utilization
        crm_attribute -N node-1 -n rack -v 1
        crm_attribute -t crm_config -G -q
        crm_attribute -t crm_config -G
        crm_attribute -N node-1 -G
        crm_attribute -N node-1 -G -q
        crm_attribute -N node-2 -G -q
        crm_attribute -N node-1 -t status -G
        crm_attribute -D
        crm_attribute -N node-1 -D
        crm_attribute
        crm_attribute -N node-1 -l forever -G
    """,
    "one plain location per resource and node; unclone puts the resource last": """
        pcs resource create a ocf:heartbeat:Dummy
        pcs constraint location a prefers node-1=50
        pcs constraint location a prefers node-1=100
        pcs constraint location a avoids node-2=INFINITY node-2
        pcs constraint location a avoids node-3=50 node-3=100 node-1
        pcs constraint location add L1 a node-2 10
        pcs constraint location a prefers node-2=7
        pcs constraint location add L2 a node-2 10
        pcs constraint
        pcs resource create c ocf:heartbeat:Dummy clone
        pcs resource create b ocf:heartbeat:Dummy
        pcs constraint location c-clone prefers node-1
        pcs resource create d ocf:heartbeat:Dummy --group g
        pcs resource clone g
        pcs resource unclone c-clone
        pcs resource unclone g
        pcs resource unclone b
    """,
    "location rules read as pcs's rule parser reads them": """
        pcs resource create a ocf:heartbeat:Dummy
        pcs constraint location a rule score=10 defined pingd and foo bar
        pcs constraint location a rule score=10 defined pingd and
        pcs constraint location a rule score=10 defined pingd and defined
        pcs constraint location a rule score=10 defined pingd and #uname
        pcs constraint location a rule score=10 pingd lte
        pcs constraint location a rule score=10 foo
        pcs constraint location a rule score=10 pingd lte 0 bar
        pcs constraint location a rule score=10 date gt 2020-01-01
        pcs constraint location a rule score=10 date lt 2020-01-01
        pcs constraint location a rule score=10 date gt x
        pcs constraint location a rule score=1.5 defined pingd
        pcs constraint location a rule score=abc defined pingd
        pcs constraint location a rule score=10 pingd gt string 5
        pcs constraint location a rule score=10 defined pingd and date gt 2020-01-01
        pcs constraint
    """,
    "defaults listings, property values, node listings": """
        pcs resource defaults
        pcs resource op defaults
        pcs resource defaults update resource-stickiness=100
        pcs resource defaults
        pcs resource op defaults update timeout=60s
        pcs resource op defaults config
        pcs resource defaults resource-stickiness=5 priority=3
        pcs resource defaults
        pcs property set cluster-recheck-interval=soon
        pcs property set cluster-recheck-interval=soon --force
        pcs property set stonith-timeout=x start-failure-is-fatal=true
        pcs property set stonith-timeout=90 placement-strategy=best
        pcs property set node-health-strategy=sick
        pcs property set stonith-timeout=PT1M
        pcs property set cluster-recheck-interval=5min stonith-timeout=60s
        pcs node utilization
        pcs node attribute
        pcs node utilization node-9 rack=8
        pcs node utilization node-9 rack=x
        pcs node utilization node-1 cpu=2
        pcs node utilization node-1
        pcs node utilization node-9
        pcs node attribute node-1 rack=1
        pcs node attribute
        pcs node attribute node-2
    """,
    "colocation roles, negative scores without --, forced duplicates": """
        pcs resource create a ocf:heartbeat:Dummy
        pcs resource create b ocf:heartbeat:Dummy
        pcs resource create s ocf:pacemaker:Stateful promotable
        pcs constraint colocation add nope with nope 1.5
        pcs constraint colocation add a with b -INFINITY
        pcs constraint colocation add nope with b -100
        pcs constraint colocation add a with Promoted s-clone
        pcs constraint colocation add Master a with s-clone
        pcs constraint colocation add b with slave s-clone 10
        pcs constraint colocation add Bogus b with s-clone 10
        pcs constraint colocation add started b with s-clone 10 --force
        pcs constraint location a avoids node-1=-5
        pcs constraint order a then b
        pcs constraint order a then b --force
        pcs constraint
    """,
    "crm_resource --why and crm_mon grouped by node": """
        crm_resource --why
        crm_mon -1 -n -r
        pcs resource create a ocf:heartbeat:Dummy clone
        pcs resource create g1 ocf:heartbeat:Dummy --group g
        pcs resource create v ocf:heartbeat:Dummy meta is-managed=false target-role=Stopped
        crm_resource --why
        crm_resource --why -r a
        crm_resource --why -r a-clone -N node-1
        crm_resource --why -r v -N node-2
        crm_resource --why -r g1
        crm_resource --why -N node-1
        crm_resource --why -r nope
        crm_resource --why -N node-9
        crm_mon -1 -n
        crm_mon -1 -n -r
        crm_mon -1 -A -r -f
        crm_mon -1 -o -t
    """,
    "crm_resource names clone members as instances; a parameter hidden by a meta": """
        pcs resource create a ocf:heartbeat:Dummy meta target-role=Stopped
        pcs resource create b ocf:heartbeat:Dummy clone
        pcs resource meta b-clone is-managed=true
        crm_resource -r b --get-parameter bogus
        crm_resource -r b --get-parameter bogus --meta
        crm_resource -r b-clone --get-parameter bogus
        crm_resource -r a --set-parameter target-role --parameter-value Started
        crm_resource -r a --set-parameter target-role --parameter-value Started --force
        crm_resource -r b --set-parameter is-managed --parameter-value false
        crm_resource -r b --set-parameter is-managed --parameter-value false --meta
        crm_resource -r a --set-parameter fake --parameter-value 1
    """,
    "constraint ref lists a clone member's clone first, then colocations, locations, orders, sets": """
        pcs resource create r18 ocf:heartbeat:Dummy
        pcs resource create r8 ocf:heartbeat:Dummy
        pcs constraint colocation set r8 r18
        pcs constraint location r18 prefers node-1
        pcs constraint colocation add r8 with r18
        pcs constraint order r18 then r8
        pcs constraint ref r18
        pcs resource create c ocf:heartbeat:Dummy clone
        pcs constraint location c-clone prefers node-1
        pcs constraint location c rule score=5 defined x --force
        pcs constraint ref c
        pcs constraint ref nope
    """,
}


@pytest.fixture(scope="module")
def real_tools() -> fuzzrun.RealTools:
    missing = fuzzrun.RealTools.missing()
    if missing:
        pytest.skip(missing)
    tools = fuzzrun.RealTools()
    yield tools  # type: ignore[misc]
    tools.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_agrees_with_the_real_tools(name: str, real_tools: fuzzrun.RealTools,
                                           tmp_path: Path) -> None:
    failures = run_commands(real_tools, script_lines(SCRIPTS[name]), tmp_path)
    assert not failures, "\n".join(failures)

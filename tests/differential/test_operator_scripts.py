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

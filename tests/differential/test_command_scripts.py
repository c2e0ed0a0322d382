"""Command scripts that random scripts (tests/differential/cmdgen.py) found ours answering
differently from the real tools, each run through the real pcs 0.11 / Pacemaker 2.1.5 tools
and ours on copies of one CIB (tests/differential/fuzzrun.py). After every command the
configuration sections, the exit statuses and the first lines of stderr must agree, and
stdout too for listings and queries."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from tests.differential import cmdgen, fuzzrun

SCRIPTS = {
    "constraints on a resource inside a clone": """
        pcs resource create a ocf:heartbeat:Dummy clone
        pcs resource create b ocf:heartbeat:Dummy --group g
        pcs resource create c ocf:heartbeat:Dummy
        pcs constraint location a prefers node-1
        pcs constraint colocation add a with c
        pcs constraint colocation add c with a 50
        pcs constraint order a then c
        pcs constraint order start c then stop a
        pcs constraint location a rule score=10 pingd lte 0
        pcs constraint location nope rule score=10 foo bar
        pcs constraint colocation add a with c --force
        pcs constraint order a then c --force
        pcs constraint location add L1 a node-1 10
        pcs constraint colocation add a with a-clone
        pcs constraint colocation add b with c
    """,
    "resource sets": """
        pcs resource create alpha ocf:heartbeat:Dummy
        pcs resource create beta ocf:heartbeat:Dummy
        pcs resource create gamma3 ocf:heartbeat:Dummy clone
        pcs constraint order set alpha beta gamma3
        pcs constraint order set alpha beta gamma3-clone
        pcs constraint order set alpha beta action=stop require-all=false set gamma3-clone role=Promoted setoptions symmetrical=false id=myset
        pcs constraint colocation set alpha beta sequential=true set gamma3-clone setoptions score=-50
        pcs constraint colocation set alpha beta setoptions score=abc
        pcs constraint order set alpha bogus=1
        pcs constraint order set
        pcs constraint order set alpha set
        pcs constraint order set alpha nope set nope2
        pcs constraint colocation set alpha setoptions kind=Optional
        pcs constraint order set alpha setoptions score=1
        pcs constraint colocation set alpha beta
        pcs constraint colocation set alpha beta
        pcs constraint colocation set alpha beta --force
        pcs constraint order set alpha sequential=maybe action=go role=x require-all=2
        pcs constraint colocation set alpha bogus=1 setoptions id=1x
        pcs constraint order set alpha setoptions kind=Bad symmetrical=3
        pcs constraint order set alpha setoptions id=alpha
        pcs constraint
        pcs constraint order
        pcs constraint colocation
    """,
    "disabling puts a new meta_attributes first": """
        pcs resource create alpha ocf:heartbeat:Dummy --disabled
        pcs resource create beta ocf:heartbeat:Dummy fake=1 meta priority=1 --disabled
        pcs resource create gamma ocf:heartbeat:Dummy fake=1 op monitor interval=5 --disabled
        pcs resource create eps ocf:heartbeat:Dummy clone --disabled
        pcs resource create eps4 ocf:heartbeat:Dummy clone interleave=true --disabled
        pcs resource create eps2 ocf:heartbeat:Dummy --group gg --disabled
        pcs resource create zed ocf:heartbeat:Dummy fake=1
        pcs resource disable zed
        pcs resource create zed2 ocf:heartbeat:Dummy fake=1
        pcs resource meta zed2 priority=4
        pcs resource disable zed2
    """,
    "clearing on an unknown node": """
        pcs resource create c ocf:heartbeat:Dummy
        pcs resource move-with-constraint c node-1
        pcs resource clear c node-9
        crm_resource --clear -r c -N node-9
        pcs resource clear c
    """,
    "bad words, agent names and ids, each reported as pcs reports it": """
        pcs resource create a ocf:heartbeat:Dummy
        pcs resource create r29 ocf:heartbeat:Dummy op_sleep=121 noequals clone interleave=true
        pcs resource create r30 ocf:heartbeat:Dummy =x
        pcs resource create r31 ocf:heartbeat:Dummy meta noequals
        pcs resource create r32 ocf:heartbeat:Dummy op monitor noequals
        pcs resource create r33 ocf:heartbeat:Dummy op monitor
        pcs resource create 1bad ocf:heartbeat:Dummy fake=x194 op_sleep=194 bogus=1
        pcs resource create a ocf:heartbeat:IPaddr2
        pcs resource create r38 nosuch:thing op monitor interval=x
        pcs resource create r15 ocf:heartbeat
        pcs resource create r3 IPaddr2 --disabled
        pcs resource create r3 IPaddr2 ip=127.0.0.9
        pcs resource create r4 Dummy
        pcs resource create r2 ocf:pacemaker:Dummy --group 'bad id'
        pcs resource create 1bad ocf:heartbeat:Dummy --group a
        pcs resource create 1bad ocf:heartbeat:Dummy clone --group a
    """,
    "node attributes and utilization": """
        pcs node utilization node-2 rack=x
        pcs node utilization node-2 rack=
        pcs node utilization node-2 cpu=4
        pcs node utilization node-2 cpu=
        pcs node unstandby node-1
        pcs node unmaintenance node-1
        pcs node attribute node-1 rack=
        pcs node attribute node-9 rack=1
        pcs node attribute node-1 rack=1
        pcs node attribute node-1 rack=
    """,
    "operations, utilization and missing resources": """
        pcs resource create a ocf:heartbeat:Dummy
        pcs resource op add a start interval=10 timeout=20
        pcs resource op add a monitor interval=10s
        pcs resource op add a monitor interval=10
        pcs resource op add a monitor interval=20 --force
        pcs resource op add nope monitor interval=10
        pcs resource utilization nope cpu=1
        pcs resource utilization a cpu=x
        pcs resource utilization a cpu=2
        pcs resource op delete nope reload
        pcs resource op delete a bogus
        pcs resource move-with-constraint nope node-3
        pcs resource ban nope node-3
        pcs constraint location add loc21 nope node-3 0
        pcs resource group add g1 nope
        pcs resource group add g1 nope nope2
        pcs resource unclone nope
        pcs constraint ref nope
        pcs constraint ref a
    """,
    "crm_attribute: lifetimes, types, local node, status entries": """
        crm_attribute -n foo -t bogus -v 1
        crm_attribute -n foo -t crm_config -l forever -G
        crm_attribute -n foo -l reboot -D
        crm_attribute -n foo -N node-1 -l never -G
        crm_attribute -n foo -N node-1 -t status -v 1
        crm_attribute -n foo -N node-1 -t status -G
        crm_attribute -n foo -N node-1 -t status -D
        crm_attribute -N node-1 -t nodes -G -q
        crm_attribute -N node-9 -t nodes -D
        crm_attribute -n foo -N node-1 -l forever -v 2
        crm_attribute -n foo -N node-1 -t status -l forever -G
        crm_attribute -n foo -t nodes -v 1
        crm_attribute -n foo -v 1
        crm_attribute -n foo -G -q
        crm_attribute -n foo -D
    """,
    "cibadmin: missing input, unknown scopes, deleting nothing": """
        cibadmin --create -o bogus --xml-text '<bogus id="b20"/>'
        cibadmin --query -o bogus
        cibadmin --create
        cibadmin --modify
        cibadmin --delete
        cibadmin -P
        cibadmin --delete --xpath //nope
        cibadmin --delete -X '<rsc_location id="nope"/>'
        cibadmin -M -X '<nope id="x"/>'
        cibadmin --replace -o bogus -X '<x/>'
        cibadmin --query --xpath //nope
    """,
    "crm_verify, crm_standby, crm_failcount and an empty resource list": """
        crm_resource --list
        crm_verify -L
        crm_verify -LV
        pcs cluster verify
        crm_failcount -r nope -N node-9 -G
        crm_failcount -r nope -N node-9 -D
        crm_failcount -r nope -N node-1 -G -q
        crm_standby -N node-1 -G
        crm_standby -N node-1 -v on -l reboot
        crm_standby -N node-9 -G
        crm_standby -N node-2 -v on
        crm_standby -N node-2 -G -q
        crm_standby -N node-2 -D
        crm_standby -N node-2 -G
        pcs resource create a ocf:heartbeat:Dummy clone
        crm_resource --list
        pcs property set stonith-enabled=false
        crm_verify -L
    """,
}


def script_lines(text: str) -> list[cmdgen.Command]:
    commands = []
    for line in text.strip().splitlines():
        words = shlex.split(line)
        commands.append(cmdgen.Command(words[0], tuple(words[1:]), reads=True))
    return commands


@pytest.fixture(scope="module")
def real_tools() -> fuzzrun.RealTools:
    missing = fuzzrun.RealTools.missing()
    if missing:
        pytest.skip(missing)
    tools = fuzzrun.RealTools()
    yield tools  # type: ignore[misc]
    tools.close()


def run_commands(real: fuzzrun.RealTools, commands: list[cmdgen.Command], tmp: Path,
                 base: str = "empty") -> list[str]:
    theirs_dir, ours_dir = tmp / "theirs", tmp / "ours"
    theirs_dir.mkdir()
    ours_dir.mkdir()
    theirs, ours = theirs_dir / "cib.xml", ours_dir / "cib.xml"
    theirs.write_bytes(fuzzrun.base_cib(base))
    ours.write_bytes(theirs.read_bytes())
    failures = []
    for command in commands:
        got_real = real.run(command.tool, command.argv, theirs)
        got_ours = fuzzrun.run_ours(command.tool, command.argv, ours, ours_dir)
        same = fuzzrun.configuration(theirs) == fuzzrun.configuration(ours)
        outcome = fuzzrun.Outcome(command, got_real, got_ours, same)
        if not outcome.agrees:
            failures.append(f"{command.line()}: differs in {outcome.differences()}; "
                            f"real {got_real} ours {got_ours}")
            ours.write_bytes(theirs.read_bytes())
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_agrees_with_the_real_tools(name: str, real_tools: fuzzrun.RealTools,
                                           tmp_path: Path) -> None:
    failures = run_commands(real_tools, script_lines(SCRIPTS[name]), tmp_path)
    assert not failures, "\n".join(failures)

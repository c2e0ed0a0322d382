"""The EayunStack operator scenarios A1-A17 (SPEC.md §8) in the simulator, as scripts with
expected traces (golden_eayunstack/*.txt: commands, `----`, the trace; the language is in
eayunstack_script.py). Each script also asserts its facts with `expect` lines, so a wrong
rewrite (HACLUSTER_UPDATE_GOLDEN=1) still fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eayunstack_script import Scenario
from lxml import etree

from hacluster.controller import scheduling_bytes
from hacluster.scheduler import schedule

GOLDEN = Path(__file__).parent / "golden_eayunstack"


def cases() -> list[Path]:
    return sorted(GOLDEN.glob("*.txt"))


def read_case(path: Path) -> tuple[str, list[str], str]:
    text = path.read_text()
    commands_text, _, expected = text.partition("----\n")
    commands = [c for c in commands_text.splitlines() if c.strip() and not c.startswith("#")]
    return commands_text, commands, expected


@pytest.mark.parametrize("path", cases(), ids=[p.stem for p in cases()])
def test_operator_scenario_gives_its_expected_trace(path: Path) -> None:
    commands_text, commands, expected = read_case(path)
    got = Scenario().run(commands)
    if os.environ.get("HACLUSTER_UPDATE_GOLDEN"):
        path.write_text(commands_text + "----\n" + "\n".join(got) + "\n")
        return
    assert "\n".join(got) + "\n" == expected


def normalize(lines: list[str]) -> list[str]:
    """Summary lines compared as the conformance runner does: spacing and order aside."""
    out = [re.sub(r"\s+", " ", line.strip()).replace("( ", "(").replace(" )", ")")
           for line in lines]
    return sorted(line for line in out if line)


def crm_simulate_summary(cib_xml: bytes, now_s: int, tmp_path: Path) -> list[str]:
    """The real crm_simulate's Transition Summary for one scheduler input, at its time."""
    path = tmp_path / "input.xml"
    path.write_bytes(cib_xml)
    when = datetime.fromtimestamp(now_s, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    done = subprocess.run(["crm_simulate", "-S", "-x", str(path), "-t", when],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("Transition Summary:", 1)[1].splitlines()[1:]
    return normalize(lines[:next((i for i, x in enumerate(lines) if x and not x[0].isspace()),
                                 len(lines))])


@pytest.mark.slow
@pytest.mark.parametrize("path", cases(), ids=[p.stem for p in cases()])
def test_every_scheduler_run_of_the_scenario_agrees_with_crm_simulate(
        path: Path, tmp_path: Path) -> None:
    """The scheduling part, cross-checked: each input the DC's scheduler got during the
    scenario, given to the real crm_simulate -S -x at the same time, proposes the same
    actions as our scheduler did."""
    if shutil.which("crm_simulate") is None:
        pytest.skip("crm_simulate is not installed (make test installs it when run as root)")
    _, commands, _ = read_case(path)
    scenario = Scenario()
    scenario.run(commands)
    seen: set[bytes] = set()
    for run in scenario.scheduled:
        cib_xml = scheduling_bytes(run)
        if cib_xml in seen:
            continue
        seen.add(cib_xml)
        ours = normalize(schedule(etree.fromstring(cib_xml), run.now_s).summary_lines())
        assert ours == crm_simulate_summary(cib_xml, run.now_s, tmp_path), (
            f"scheduler input {len(seen)} at {run.now_s}")


def failure_entries(scenario: Scenario, node: str) -> list[str]:
    status = scenario.env.read().root.find("status")
    return sorted(str(op.get("id")) for state in status.iter("node_state")
                  if state.get("uname") == node for op in state.iter("lrm_rsc_op")
                  if str(op.get("id")).endswith("_last_failure_0"))


def test_a17_cleanup_forgets_the_failure_for_good_also_when_the_attrd_writer_changes() -> None:
    """A cleanup clears the fail count in attrd, not only in the CIB (attrd's next writer
    writes every value it holds), and the failure entry of the history (the node must not
    write it back with its next result)."""
    scenario = Scenario()
    scenario.run(["cluster", "failop node-2 clone_p_haproxy monitor 7", "run 31000", "settle",
                  "expect failcount clone_p_haproxy@node-2 1"])
    assert failure_entries(scenario, "node-2") == ["p_haproxy_last_failure_0"]
    scenario.run(["crm_resource --cleanup --resource p_haproxy --node node-2", "settle",
                  "run 40000", "settle", "expect failcount clone_p_haproxy@node-2 0"])
    assert failure_entries(scenario, "node-2") == []
    # node-1 (attrd's writer, the lowest name) dies: node-2 becomes the writer
    scenario.run(["crash node-1", "run 5000", "settle", "run 10000", "settle",
                  "expect failcount clone_p_haproxy@node-2 0"])
    assert failure_entries(scenario, "node-2") == []

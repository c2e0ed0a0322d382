"""The EayunStack operator scenarios A1-A17 (SPEC.md §8) in the simulator, as scripts with
expected traces (golden_eayunstack/*.txt: commands, `----`, the trace; the language is in
eayunstack_script.py). Each script also asserts its facts with `expect` lines, so a wrong
rewrite (HACLUSTER_UPDATE_GOLDEN=1) still fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from eayunstack_script import Scenario

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

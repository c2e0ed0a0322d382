"""Bad input to crm_resource, crm_attribute, cibadmin, crm_mon and friends, ours vs the real
Pacemaker 2.1.5 tools with CIB_file: an unknown option (reported before anything else), a
missing resource id, an object that does not exist. The exit status and the first line of
what the tool says must agree, and the CIB must stay as it was."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from tests.differential.realtools import real_tool, run_ours, run_real

from hacluster.cli import (
    attrd_updater,
    cibadmin,
    crm_attribute,
    crm_mon,
    crm_node,
    crm_resource,
    crm_verify,
)

REPO = Path(__file__).resolve().parents[2]
CIB = REPO / "src" / "hacluster" / "demo" / "data" / "eayunstack-cib.xml"
MAINS: dict[str, Callable[[Sequence[str] | None], int]] = {
    "crm_resource": crm_resource.main, "crm_attribute": crm_attribute.main,
    "cibadmin": cibadmin.main, "crm_mon": crm_mon.main, "crm_node": crm_node.main,
    "crm_verify": crm_verify.main, "attrd_updater": attrd_updater.main,
}
COMMANDS = [
    "crm_resource --locate", "crm_resource --bogus", "crm_resource --bogus --locate",
    "crm_attribute --bogus", "crm_attribute -n a -G --bogus", "cibadmin --bogus",
    "crm_mon --bogus", "crm_node --bogus", "crm_verify --bogus", "attrd_updater --bogus",
    "cibadmin -M -X '<primitive id=\"nope\"/>'", "cibadmin -Q -A '//nope'",
    "crm_resource --locate -r nope", "crm_resource -r nope --get-parameter a",
    "crm_resource --clear -r nope",
]


def first_line(text: str) -> str:
    """The first line said, with the program named as typed (glib names it by argv[0])."""
    line = next((line for line in text.splitlines() if line.strip()), "")
    return line.replace("/usr/sbin/", "")


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_input_is_answered_as_the_real_tool_answers(
        command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = shlex.split(command)
    theirs, ours = tmp_path / "real.xml", tmp_path / "ours.xml"
    theirs.write_bytes(CIB.read_bytes())
    ours.write_bytes(CIB.read_bytes())
    real = run_real([real_tool(words[0]), *words[1:]], theirs)
    mine = run_ours(MAINS[words[0]], words[1:], ours, monkeypatch)
    assert mine[0] == real[0], (real, mine)
    assert first_line(mine[2] or mine[1]) == first_line(real[2] or real[1]), (real, mine)
    assert ours.read_bytes() == CIB.read_bytes()

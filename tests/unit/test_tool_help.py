"""`--help` of every tool lists its commands: pcs names every command and, per command,
every subcommand its dispatch accepts (with its syntax); the crm_* tools, cibadmin and crm
list their options and exit 0, as the real tools do."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence

import pytest

from hacluster.cli import (
    attrd_updater,
    cibadmin,
    crm,
    crm_attribute,
    crm_mon,
    crm_node,
    crm_resource,
    crm_simulate,
    crm_standby,
    crm_verify,
    pcs,
    stonith_admin,
)
from hacluster.cli.pcs import NOUNS


def run(main: Callable[[Sequence[str] | None], int], argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            status = main(argv)
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 1
    return status, out.getvalue()


def test_pcs_help_names_every_command() -> None:
    status, text = run(pcs.main, ["--help"])
    assert status == 0 and "Usage: pcs [-f file] [-h] [commands]..." in text
    listed = text.split("Commands:")[1]
    assert all(f"    {noun} " in listed for noun in NOUNS)


@pytest.mark.parametrize("noun", sorted(NOUNS))
def test_pcs_command_help_lists_every_subcommand(noun: str) -> None:
    for argv in ([noun, "--help"], [noun, "help"], ["--help", noun]):
        status, text = run(pcs.main, argv)
        assert status == 0, argv
        assert text.startswith(f"\nUsage: pcs {noun} [commands]...")
        commands = text.split("Commands:")[1]
        for verb in (v for v in NOUNS[noun] if v):
            assert f"    {verb} " in commands or f"    {verb}\n" in commands \
                or f" {verb}," in commands or f" {verb})" in commands, (noun, verb)


@pytest.mark.parametrize("main,words", [
    (crm_resource.main, ["--locate", "--list", "--move", "--ban", "--clear", "--cleanup",
                         "--refresh", "--restart", "--wait", "--query-xml",
                         "--get-parameter", "--set-parameter", "--delete-parameter", "--meta"]),
    (crm_attribute.main, ["--name", "--query", "--delete", "--lifetime", "--node"]),
    (cibadmin.main, ["--query", "--create", "--modify", "--replace", "--delete", "--erase"]),
    (crm_node.main, ["--list", "--name", "--quorum", "--partition", "--cluster-id"]),
    (crm_verify.main, ["--live-check", "--xml-file"]),
    (crm_mon.main, ["--one-shot", "--inactive", "--output-as"]),
    (crm_standby.standby_main, ["--node", "--query", "--delete"]),
    (crm_standby.failcount_main, ["--resource", "--node", "--query", "--delete"]),
    (crm_simulate.main, ["--simulate", "--xml-file", "--live-check"]),
    (attrd_updater.main, ["--update", "--query", "--delete"]),
    (stonith_admin.main, ["--reboot", "--fence", "--list-registered", "--history"]),
    (crm.main, ["status", "configure show"]),
])
def test_every_tool_help_lists_its_commands(main: Callable[[Sequence[str] | None], int],
                                            words: list[str]) -> None:
    status, text = run(main, ["--help"])
    assert status == 0
    missing = [w for w in words if w not in text]
    assert not missing, (missing, text)

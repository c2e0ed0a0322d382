"""`hacluster config check`: corosync-cmapctl-style values, problems, exit statuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hacluster.cli.main import SUBCOMMANDS, main

REPO = Path(__file__).resolve().parents[2]

# The seed's own member addresses: parsed and printed only, never a traffic target.
SEED_ADDRESSES = ("172.16.101.3", "172.16.101.4", "172.16.101.5")  # seed, parse-only


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_seed_file_exits_zero_and_shows_effective_values(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "config", "check", str(shared / "eayunstack/corosync.conf"))
    assert status == 0
    for line in (
        "runtime.config.totem.token (u32) = 3000",
        "runtime.config.totem.consensus (u32) = 3600",
        "runtime.config.totem.token_retransmit (u32) = 294",
        "runtime.config.totem.hold (u32) = 225",
        "runtime.config.totem.join (u32) = 60",
        "runtime.config.totem.merge (u32) = 200",
        "runtime.config.totem.max_messages (u32) = 20",
        "runtime.config.totem.window_size (u32) = 50",
        f"nodelist.node.0.ring0_addr (str) = {SEED_ADDRESSES[0]}",
        "nodelist.node.0.nodeid (u32) = 739271939",
        f"nodelist.node.2.ring0_addr (str) = {SEED_ADDRESSES[2]}",
        "totem.transport (str) = udpu",
    ):
        assert line in out.splitlines(), line
    assert "info: " in out and "vsftype is ignored" in out


def test_local_address_picks_the_local_node(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(shared / "eayunstack/corosync.loopback.conf")
    status, out, _ = run(capsys, "config", "check", path, "--local-address", "127.0.0.3")
    assert status == 0
    assert "nodelist.local_node_pos (u32) = 2" in out
    status, out, _ = run(capsys, "config", "check", path, "--local-address", "127.0.0.9")
    assert status == 78
    assert "error: " in out and "no node has address 127.0.0.9" in out


def test_token_abc_exits_non_zero_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "c.conf"
    conf.write_text("totem {\n    version: 2\n    token: abc\n    transport: udp\n}\n")
    status, out, _ = run(capsys, "config", "check", str(conf))
    assert status == 78
    assert f"error: {conf}:3:12: totem.token: 'abc' is not a number" in out
    assert "runtime.config" not in out


def test_unclosed_brace_exits_non_zero_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "c.conf"
    conf.write_text("totem {\n    transport: udp\n}\nquorum {\n    two_node: 1\n")
    status, out, _ = run(capsys, "config", "check", str(conf))
    assert status == 78
    assert f"{conf}:4:1: section 'quorum' opened here is never closed" in out


def test_secauth_without_a_key_file_is_an_error_until_the_key_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "authkey"
    conf = tmp_path / "c.conf"
    conf.write_text(f"totem {{\n    transport: udp\n    secauth: on\n    keyfile: {key}\n}}\n")
    status, out, _ = run(capsys, "config", "check", str(conf))
    assert status == 78 and "does not exist" in out
    key.write_bytes(b"k" * 256)
    status, out, _ = run(capsys, "config", "check", str(conf))
    assert status == 0


def test_missing_file_exits_noinput(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "config", "check", str(tmp_path / "absent.conf"))
    assert status == 66 and "no such file" in err


def test_no_subcommand_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys)
    assert status == 64 and "config" in err


def test_registering_a_subcommand_is_one_registry_line() -> None:
    assert all(":" in entry for entry in SUBCOMMANDS)


def test_console_script_runs_config_check(shared: Path) -> None:
    script = Path(sys.executable).parent / "hacluster"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "hacluster.cli.main"]
    done = subprocess.run(
        [*command, "config", "check", str(shared / "eayunstack/corosync.conf")],
        capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "runtime.config.totem.token (u32) = 3000" in done.stdout


def test_convert_rewrites_the_seed_as_a_nodelist_and_notes_the_token_change(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "config", "convert", str(shared / "eayunstack/corosync.conf"))
    assert status == 0
    assert "nodelist {" in out and "memberaddr" not in out and "ringnumber" not in out
    assert "nodeid: 739271939" in out and "linknumber: 0" in out
    assert "runtime.config.totem.token: 3000 -> 3650" in err
    converted = tmp_path / "corosync.conf"
    converted.write_text(out)
    status, out, _ = run(capsys, "config", "check", str(converted))
    assert status == 0
    assert "nodelist.node.1.nodeid (u32) = 739271940" in out
    assert "runtime.config.totem.token (u32) = 3650" in out


def test_convert_refuses_a_config_with_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "c.conf"
    conf.write_text("totem {\n    token: abc\n")
    status, _, err = run(capsys, "config", "convert", str(conf))
    assert status == 78 and f"{conf}:2:12" in err

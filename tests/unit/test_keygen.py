"""corosync-keygen: a 0400 key of the asked size, from the OS or a random file, never
silently overwritten."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hacluster.cli.keygen import main


def test_keygen_creates_a_0400_key_of_256_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "authkey"
    assert main(["-k", str(key)]) == 0
    assert key.stat().st_size == 256
    assert stat.S_IMODE(key.stat().st_mode) == 0o400
    out = capsys.readouterr().out
    assert "Gathering 2048 bits for key from /dev/urandom." in out
    assert f"Writing corosync key to {key}." in out


def test_keygen_honours_size_and_less_secure_flag(tmp_path: Path) -> None:
    key = tmp_path / "k"
    assert main(["-l", "-s", "128", "-k", str(key)]) == 0
    assert key.stat().st_size == 128


def test_keygen_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "authkey"
    assert main(["-k", str(key)]) == 0
    first = key.read_bytes()
    assert main(["-k", str(key)]) == 108
    assert "already exists" in capsys.readouterr().err
    assert key.read_bytes() == first
    assert main(["--force", "-k", str(key)]) == 0
    assert key.read_bytes() != first
    assert stat.S_IMODE(key.stat().st_mode) == 0o400
    assert sorted(p.name for p in tmp_path.iterdir()) == ["authkey"]


@pytest.mark.parametrize("size", ["64", "4097"])
def test_keygen_rejects_sizes_outside_128_to_4096(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], size: str
) -> None:
    assert main(["-s", size, "-k", str(tmp_path / "k")]) == 1
    assert "Unsupported key size (supported <128,4096>)" in capsys.readouterr().err
    assert not (tmp_path / "k").exists()


def test_keygen_reads_the_given_random_file(tmp_path: Path) -> None:
    source = tmp_path / "random"
    source.write_bytes(bytes(range(256)) * 2)
    key = tmp_path / "k"
    assert main(["-r", str(source), "-k", str(key)]) == 0
    assert key.read_bytes() == bytes(range(256))


def test_keygen_reports_a_directory_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-k", str(tmp_path / "no" / "authkey")]) == 73
    assert "Could not create" in capsys.readouterr().err


def test_keygen_rejects_unknown_options_like_corosync_keygen(
    capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["-x"])
    assert raised.value.code == 1
    assert "Error parsing command line options." in capsys.readouterr().err

"""An input larger than the CIB can hold is refused by its size, before it is read: one line,
no traceback, no memory spent on it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hacluster.api import cib as api
from hacluster.cib import empty_cib
from hacluster.cli import cibadmin, pcs
from hacluster.common import MAX_CIB_BYTES, Code, HaError

BIG_BYTES = 200 * 1024 * 1024


@pytest.fixture()
def big(tmp_path: Path) -> Path:
    path = tmp_path / "big.xml"
    with open(path, "wb") as handle:  # sparse: 200 MB that cost no disk
        handle.truncate(BIG_BYTES)
    return path


@pytest.fixture()
def cib(tmp_path: Path) -> Path:
    path = tmp_path / "cib.xml"
    path.write_bytes(empty_cib().to_bytes())
    return path


def test_cibadmin_refuses_a_200_mb_input_in_one_line(
        big: Path, cib: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CIB_file", str(cib))
    before = cib.read_bytes()
    status = cibadmin.main(["-C", "-o", "resources", "-x", str(big)])
    err = capsys.readouterr().err
    assert status != 0 and err.count("\n") == 1 and "Traceback" not in err
    assert f"over the CIB limit of {MAX_CIB_BYTES} bytes" in err
    assert cib.read_bytes() == before


def test_pcs_cib_push_refuses_a_200_mb_file_in_one_line(
        big: Path, cib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pcs.main(["-f", str(cib), "cluster", "cib-push", str(big)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "over the CIB limit" in err


def test_a_stream_is_read_to_the_limit_and_no_further() -> None:
    stream = io.BytesIO(b"x" * 101)
    with pytest.raises(HaError) as error:
        api.read_input_stream(stream, limit=100)
    assert error.value.problems[0].code is Code.CIB_TOO_LARGE
    assert stream.tell() == 101
    assert api.read_input_stream(io.BytesIO(b"<a/>"), limit=100) == b"<a/>"


@pytest.mark.skipif(not os.path.exists("/usr/bin/time"), reason="/usr/bin/time is not installed")
def test_refusing_the_200_mb_file_needs_little_memory(big: Path, cib: Path) -> None:
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "hacluster.cli.cibadmin", "-C",
         "-o", "resources", "-x", str(big)], env={**os.environ, "CIB_file": str(cib)},
        capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    rss_kib = int(next(line.split(":")[1] for line in done.stderr.splitlines()
                       if "Maximum resident set size" in line))
    assert rss_kib < 200 * 1024, rss_kib  # the interpreter and lxml, not the file

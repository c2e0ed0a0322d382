"""Our read-only `crm configure show` and `crm status` vs crmsh 4.4.1 (Debian's `crmsh`),
which reads a CIB file through CIB_file as Pacemaker's tools do. The configuration text
must be identical; the status too, but for its "Last updated" time. Skipped, with the
reason, where crmsh is not installed. The real crm is run by its path (/usr/sbin/crm),
ours in this process, so neither shadows the other."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hacluster.cli import crm
from shared_paths import REPO, SHARED

REAL_CRM = Path("/usr/sbin/crm")
CIBS = {
    "demo": REPO / "src/hacluster/demo/data/eayunstack-cib.xml",
    "reference": SHARED / "eayunstack/reference-cib.loopback.xml",
}


def real(argv: list[str], cib: Path) -> str:
    env = dict(os.environ, CIB_file=str(cib), PATH="/usr/sbin:/usr/bin:/sbin:/bin",
               LC_ALL="C")
    done = subprocess.run([str(REAL_CRM), *argv], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def ours(argv: list[str], cib: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv("CIB_file", str(cib))
    assert crm.main(argv) == 0
    return capsys.readouterr().out


def without_time(text: str) -> list[str]:
    return [line for line in text.splitlines() if "Last updated:" not in line]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CIBS))
def test_crm_configure_show_and_status_match_crmsh(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    if not REAL_CRM.is_file():
        pytest.skip("crmsh is not installed (/usr/sbin/crm)")
    if not CIBS[name].is_file():
        pytest.skip(f"{CIBS[name]} missing")
    cib = tmp_path / "cib.xml"
    cib.write_bytes(CIBS[name].read_bytes())
    assert ours(["configure", "show"], cib, monkeypatch, capsys) == \
        real(["configure", "show"], cib)
    assert without_time(ours(["status"], cib, monkeypatch, capsys)) == \
        without_time(real(["status"], cib))

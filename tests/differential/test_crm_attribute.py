"""crm_attribute on a CIB file, ours against the real one: the same commands give the same
output, exit status and attributes (ids included)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from hacluster.cli import crm_attribute

REAL = "/usr/sbin/crm_attribute"
CIB = """<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0"
 admin_epoch="0"><configuration><crm_config><cluster_property_set id="cib-bootstrap-options">
 <nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
 <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
 <resources/><constraints/></configuration>
<status><node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
 expected="member"/><node_state id="2" uname="node2" in_ccm="true" crmd="online"
 join="member" expected="member"/></status></cib>
"""
COMMANDS = [
    ["-n", "foo", "-v", "bar"], ["-n", "foo", "-G"], ["-n", "foo", "-G", "-q"],
    ["-n", "nope", "-G"], ["-n", "nope", "-G", "-d", "dflt"],
    ["-n", "stonith-enabled", "-v", "true"], ["-n", "stonith-enabled", "-G"],
    ["-N", "node1", "-n", "site", "-v", "east"], ["-N", "node1", "-n", "site", "-G"],
    ["-N", "node1", "-n", "site", "-v", "west"],
    ["-N", "node2", "-n", "pingd", "-l", "reboot", "-v", "5"],
    ["-N", "node2", "-n", "pingd", "-l", "reboot", "-G"],
    ["-N", "node2", "-n", "pingd", "-l", "reboot", "-D"],
    ["-N", "node2", "-n", "pingd", "-l", "reboot", "-G"],
    ["-N", "node1", "-n", "site", "-D"], ["-n", "foo", "-D"], ["-n", "never", "-D"],
    ["-N", "node9", "-n", "x", "-v", "1"],
]


def attributes(path: Path) -> list[tuple[str, ...]]:
    root = etree.parse(str(path)).getroot()
    return sorted((etree.ElementTree(root).getpath(nv.getparent()), nv.get("id"), nv.get("name"),
                   nv.get("value")) for nv in root.iter("nvpair"))


def test_our_crm_attribute_does_what_the_real_one_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which(REAL) is None:
        pytest.skip("crm_attribute (pacemaker-cli-utils) is not installed")
    theirs, ours = tmp_path / "theirs.xml", tmp_path / "ours.xml"
    theirs.write_text(CIB)
    ours.write_text(CIB)
    monkeypatch.setenv("CIB_file", str(ours))
    for argv in COMMANDS:
        real = subprocess.run([REAL, *argv], capture_output=True, text=True,
                              env={"PATH": "/usr/sbin:/usr/bin", "CIB_file": str(theirs)})
        status = crm_attribute.main(argv)
        out = capsys.readouterr()
        assert (status, out.out) == (real.returncode, real.stdout), (argv, out.err, real.stderr)
        assert attributes(ours) == attributes(theirs), argv

"""Every command the seed document and SPEC.md §8's scenarios have operators type, run on a
file copy of the EayunStack CIB (CIB_file / pcs -f): each exits as the real tool does and
changes the CIB as the scenario says. (The seed shows `pcs cluster cib`; the scenarios add
status, locate, disable/enable, move/ban/clear on primitives and clones, and cleanup; the
issue adds crm's read-only views.) tests/loopback/test_operator_commands_live.py runs a
subset on a live 3-node cluster."""

from __future__ import annotations

import contextlib
import io
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from lxml import etree

from hacluster.cli import cibadmin, crm, crm_mon, crm_resource, crm_verify, pcs

REPO = Path(__file__).resolve().parents[2]
CIB = REPO / "src" / "hacluster" / "demo" / "data" / "eayunstack-cib.xml"
TOOLS: dict[str, Callable[[Sequence[str] | None], int]] = {
    "pcs": pcs.main, "crm_resource": crm_resource.main, "crm": crm.main,
    "crm_mon": crm_mon.main, "cibadmin": cibadmin.main, "crm_verify": crm_verify.main,
}
OVS = "p_neutron-openvswitch-agent"
HEAT = "p_openstack-heat-engine"

# (command line, exit status, text its output must hold, XPath that must then match or
#  (with a leading "!") must not match in the CIB)
COMMANDS = [
    ("pcs cluster cib", 0, "<cib ", ""),
    ("cibadmin -Q", 0, 'validate-with="pacemaker-', ""),
    ("pcs resource", 0, "vip__public", ""),
    ("pcs status resources", 0, f"Clone Set: clone_{OVS} [{OVS}]", ""),
    ("crm_resource --locate --resource vip__public", 0, "resource vip__public is NOT running",
     ""),
    (f"crm_resource --locate --resource clone_{OVS}", 0, "is NOT running", ""),
    ("crm_resource --locate --resource nope", 105, "No such object", ""),
    ("pcs resource disable vip__public", 0, "",
     "//primitive[@id='vip__public']/meta_attributes/nvpair[@name='target-role' and "
     "@value='Stopped']"),
    ("pcs resource enable vip__public", 0, "",
     "!//primitive[@id='vip__public']//nvpair[@name='target-role']"),
    (f"pcs resource disable clone_{OVS}", 0, "",
     f"//clone[@id='clone_{OVS}']/meta_attributes/nvpair[@name='target-role']"),
    (f"pcs resource enable clone_{OVS}", 0, "", f"!//clone[@id='clone_{OVS}']//nvpair"
     "[@name='target-role' and @value='Stopped']"),
    # pcs 0.11 refuses `resource move` with -f (it waits for the cluster); the constraint
    # forms work on a file
    ("pcs resource move vip__public node-2", 1, "", "!//rsc_location[@id="
     "'cli-prefer-vip__public']"),
    ("pcs resource move-with-constraint vip__public node-2", 0, "",
     "//rsc_location[@id='cli-prefer-vip__public' and @node='node-2' and "
     "@score='INFINITY']"),
    ("pcs resource clear vip__public", 0, "", "!//rsc_location[starts-with(@id,'cli-')]"),
    ("crm_resource --move --resource vip__public --node node-3", 0, "",
     "//rsc_location[@id='cli-prefer-vip__public' and @node='node-3']"),
    ("crm_resource --clear --resource vip__public", 0, "",
     "!//rsc_location[starts-with(@id,'cli-')]"),
    (f"pcs resource ban {HEAT} node-2", 0, "",
     f"//rsc_location[@id='cli-ban-{HEAT}-on-node-2' and @rsc='{HEAT}' and "
     "@score='-INFINITY']"),
    (f"pcs resource clear {HEAT} node-2", 0, "", f"!//rsc_location[@rsc='{HEAT}' and "
     "starts-with(@id,'cli-')]"),
    (f"pcs resource ban {OVS} node-1", 0, "", f"//rsc_location[@id='cli-ban-{OVS}-on-node-1']"),
    (f"pcs resource ban clone_{OVS} node-1", 0, "",
     f"//rsc_location[@id='cli-ban-clone_{OVS}-on-node-1']"),
    (f"pcs resource clear {OVS}", 0, "", f"!//rsc_location[@id='cli-ban-{OVS}-on-node-1']"),
    (f"pcs resource clear clone_{OVS}", 0, "", "!//rsc_location[starts-with(@id,'cli-')]"),
    ("crm_resource --cleanup --resource vip__public", 0, "", ""),
    ("crm_resource --cleanup --resource vip__public --node node-1", 0, "", ""),
    ("crm_resource --cleanup --resource nope", 105, "", ""),
    # pcs 0.11 cleans up through the live cluster only
    ("pcs resource cleanup vip__public", 1, "Specified option '-f' is not supported", ""),
    ("pcs constraint", 0, "Colocation Constraints:", ""),
    ("pcs property config", 0, "no-quorum-policy: ignore", ""),
    ("crm_mon -1 -r", 0, "Full List of Resources:", ""),
    ("crm status", 0, "vip__public", ""),
    ("crm configure show", 0, "primitive vip__public ocf:mirantis:ns_IPaddr2", ""),
    ("crm_verify -x {cib}", 0, "", ""),
]


def run(line: str, cib: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    words = shlex.split(line.format(cib=cib))
    if words[0] == "pcs":
        words[1:1] = ["-f", str(cib)]
    monkeypatch.setenv("CIB_file", str(cib))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            status = TOOLS[words[0]](words[1:])
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 1
    return status, out.getvalue()


def test_the_seed_and_scenario_commands_work_on_a_cib_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cib = tmp_path / "cib.xml"
    cib.write_bytes(CIB.read_bytes())
    failures = []
    for line, status, text, xpath in COMMANDS:
        got, output = run(line, cib, monkeypatch)
        root = etree.parse(str(cib)).getroot()
        matched = bool(root.xpath(xpath.lstrip("!"))) if xpath else True
        if got != status or text not in output or matched == xpath.startswith("!"):
            failures.append(f"{line}: exit {got} (want {status})\n{output[-600:]}")
    assert not failures, "\n".join(failures)

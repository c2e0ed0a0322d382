"""Fencing comes before every start of a resource that requires fencing (Pacemaker 2.1.5
orders it so even where the resource has no history on the node being fenced).

The CI defect it pins (test_attrd_fencing_live, once): the Dummy's start on node2 was
running when node2's daemon was killed, so its result never reached the CIB and node2's
history showed only the probe (not running). The next graph started the Dummy on node3
beside the fencing of node2 instead of after it: until node2 is fenced, the Dummy its
agent may have started there can still run, so for a moment it ran on two nodes. The real
crm_simulate -G on that CIB gives the start on node3 one input: the fencing of node2.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")
DIGEST = hashlib.md5(b" <parameters/>\n").hexdigest()  # no parameters


def probe(rid: str, rc: int, kind: str = 'class="ocf" provider="heartbeat" type="Dummy"') -> str:
    key = "1:1:7:x"
    return (f'<lrm_resource id="{rid}" {kind}><lrm_rsc_op id="{rid}_last_0" '
            f'operation_key="{rid}_monitor_0" operation="monitor" interval="0" op-status="0" '
            f'rc-code="{rc}" call-id="1" transition-key="{key}" '
            f'transition-magic="0:{rc};{key}" op-digest="{DIGEST}"/></lrm_resource>')


def cib(requires: str = "") -> etree._Element:
    """node2 lost (unclean), fencing on with a device running on node1; the Dummy probed
    'not running' everywhere (its start on node2 never came back)."""
    meta = (f'<meta_attributes id="d-m"><nvpair id="d-r" name="requires" value="{requires}"/>'
            "</meta_attributes>") if requires else ""
    fence = 'class="stonith" type="fence_dummy"'
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="{str(n != "node2").lower()}" '
        f'crmd="{"offline" if n == "node2" else "online"}" join="member" expected="member">'
        f'<lrm id="{n}"><lrm_resources>{probe("dummy", 7)}'
        f'{probe("fence", 0 if n == "node1" else 7, fence)}</lrm_resources></lrm></node_state>'
        for n in NODES)
    nodes = "".join(f'<node id="{n}" uname="{n}"/>' for n in NODES)
    return etree.fromstring(
        '<cib have-quorum="1" validate-with="pacemaker-3.7" epoch="1" num_updates="1" '
        'admin_epoch="0"><configuration><crm_config><cluster_property_set id="c">'
        '<nvpair id="s" name="stonith-enabled" value="true"/></cluster_property_set>'
        f'</crm_config><nodes>{nodes}</nodes><resources>'
        f'<primitive id="fence" {fence}/>'
        f'<primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy">{meta}'
        "</primitive></resources><constraints/>"
        f"</configuration><status>{states}</status></cib>")


def start_inputs(root: etree._Element) -> set[str]:
    """'RSC TASK NODE' of the inputs of the Dummy's start in our graph."""
    synapses = schedule(root, 0).synapses
    by_id = {s.id: s.action for s in synapses}
    start = next(s for s in synapses if (s.action.rsc, s.action.task) == ("dummy", "start"))
    return {f"{by_id[i].rsc} {by_id[i].task} {by_id[i].node}" for i in start.inputs}


def test_the_start_elsewhere_waits_for_the_fencing_of_the_lost_node() -> None:
    assert start_inputs(cib()) == {"None stonith node2"}


def test_a_resource_that_requires_only_quorum_and_is_known_there_does_not_wait() -> None:
    assert start_inputs(cib("quorum")) == set()


def real_start_inputs(tmp_path: Path, root: etree._Element) -> set[str]:
    tool = shutil.which("crm_simulate", path="/usr/sbin:/usr/bin")
    if tool is None:
        pytest.skip("the real crm_simulate (pacemaker-cli-utils) is not installed")
    path, graph = tmp_path / "cib.xml", tmp_path / "graph.xml"
    path.write_bytes(etree.tostring(root))
    subprocess.run([tool, "-S", "-x", str(path), "-G", str(graph)], capture_output=True,
                   check=True, timeout=60)
    parsed = etree.parse(str(graph))
    names = {a.get("id"): a.get("operation_key") or a.get("operation")
             for a in parsed.iter("rsc_op", "pseudo_event", "crm_event")}
    start = next(s for s in parsed.iter("synapse")
                 if s.find("action_set")[0].get("operation_key") == "dummy_start_0")
    return {names[t.get("id")] for t in start.iter("rsc_op", "pseudo_event", "crm_event")
            if t.getparent().tag == "trigger"}


def test_the_real_crm_simulate_orders_the_fencing_first(tmp_path: Path) -> None:
    assert real_start_inputs(tmp_path, cib()) == {"stonith-node2-reboot"}
    assert real_start_inputs(tmp_path, cib("quorum")) == set()

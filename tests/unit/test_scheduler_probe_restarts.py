"""A probe comes before the restart its resource's start would cause (Pacemaker 2.1.5).

The CI defect it pins: `crm_resource --cleanup` of a clone instance (its history deleted)
on the node of a primitive colocated with and ordered after the clone. The next graph
probes the instance there and, because an instance is to start there, restarts the
primitive; with the primitive's stop not waiting for the probe, the stop ran while the
probe found the instance running, the transition aborted, and the next run placed the
now stopped primitive on another node. The real crm_simulate orders the probe before
that stop: the probe's unexpected result aborts the transition before anything stops.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2")
DIGEST = hashlib.md5(b" <parameters/>\n").hexdigest()  # no parameters


def op(rid: str, task: str, call: int, rc: int = 0) -> str:
    key = f"{call}:1:{7 if task == 'monitor' else 0}:x"
    return (f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_{task}_0" '
            f'operation="{task}" interval="0" op-status="0" rc-code="{rc}" call-id="{call}" '
            f'transition-key="{key}" transition-magic="0:{rc};{key}" op-digest="{DIGEST}"/>')


def lrm(rid: str, task: str, rc: int = 0) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f"{op(rid, task, 1, rc)}</lrm_resource>")


def cib(status: dict[str, str], group: bool = False) -> etree._Element:
    dummy = ('<primitive id="{0}" class="ocf" provider="pacemaker" type="Dummy">'
             '<operations><op id="{0}-m" name="monitor" interval="10s"/></operations>'
             "</primitive>")
    inner = dummy.format("P")
    if group:
        inner = f'<group id="G">{inner}{dummy.format("Q")}</group>'
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>{status.get(n, "")}'
        "</lrm_resources></lrm></node_state>" for n in NODES)
    nodes = "".join(f'<node id="{n}" uname="{n}"/>' for n in NODES)
    return etree.fromstring(
        '<cib have-quorum="1" validate-with="pacemaker-3.7" epoch="1" num_updates="1" '
        'admin_epoch="0"><configuration><crm_config><cluster_property_set id="c">'
        '<nvpair id="s" name="stonith-enabled" value="false"/></cluster_property_set>'
        f"</crm_config><nodes>{nodes}</nodes><resources>"
        f'<clone id="C">{inner}</clone>' + dummy.format("D") +
        "</resources><constraints>"
        '<rsc_colocation id="col" rsc="D" with-rsc="C" score="INFINITY"/>'
        '<rsc_order id="ord" first="C" then="D" kind="Mandatory"/>'
        '</constraints><rsc_defaults><meta_attributes id="rd"><nvpair id="rd-s" '
        'name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>'
        f"</configuration><status>{states}</status></cib>")


CLEANED_UP = {"node1": lrm("D", "start"),
              "node2": lrm("P", "start") + lrm("D", "monitor", rc=7)}


def inputs_of(root: etree._Element, rsc: str, task: str, node: str) -> set[str]:
    """'RSC TASK NODE' of the inputs of that action in our graph."""
    synapses = schedule(root, 0).synapses
    by_id = {s.id: s.action for s in synapses}
    target = next(s for s in synapses if (s.action.rsc, s.action.task, s.action.node)
                  == (rsc, task, node))
    return {f"{by_id[i].rsc} {by_id[i].task} {by_id[i].node}" for i in target.inputs}


def test_the_stop_of_a_restart_waits_for_the_probe_of_the_clone_instance_starting() -> None:
    root = cib(CLEANED_UP)
    assert inputs_of(root, "D", "stop", "node1") == {"P:1 monitor node1"}
    assert "P:1 monitor node1" in inputs_of(root, "P:1", "start", "node1")


def test_through_a_group_in_the_clone_the_stop_waits_for_the_member_probes() -> None:
    group = {"node1": lrm("D", "start"),
             "node2": lrm("P", "start") + lrm("Q", "start") + lrm("D", "monitor", rc=7)}
    root = cib(group, group=True)
    assert {"P:1 monitor node1", "Q:1 monitor node1"} <= inputs_of(root, "D", "stop", "node1")


def test_once_the_probe_found_the_instance_running_nothing_stops_or_moves() -> None:
    found = dict(CLEANED_UP, node1=CLEANED_UP["node1"] + lrm("P", "monitor", rc=0))
    actions = {(s.action.rsc, s.action.task) for s in schedule(cib(found), 0).synapses
               if not s.action.pseudo and not s.action.is_recurring}
    assert actions == set()


def test_the_real_crm_simulate_orders_the_same_probe_before_the_stop(tmp_path: Path) -> None:
    tool = shutil.which("crm_simulate", path="/usr/sbin:/usr/bin")
    if tool is None:
        pytest.skip("the real crm_simulate (pacemaker-cli-utils) is not installed")
    path, graph = tmp_path / "cib.xml", tmp_path / "graph.xml"
    path.write_bytes(etree.tostring(cib(CLEANED_UP)))
    subprocess.run([tool, "-S", "-x", str(path), "-G", str(graph)], capture_output=True,
                   check=True, timeout=60)
    names = {}
    for rsc_op in etree.parse(str(graph)).iter("rsc_op", "pseudo_event"):
        names[rsc_op.get("id")] = f"{rsc_op.get('operation_key')} {rsc_op.get('on_node')}"
    stop = next(s for s in etree.parse(str(graph)).iter("synapse")
                if names[s.find("action_set")[0].get("id")] == "D_stop_0 node1")
    wanted = {names[t.get("id")] for t in stop.iter("rsc_op", "pseudo_event")
              if t.getparent().tag == "trigger"}
    assert wanted == {"P:1_monitor_0 node1"}

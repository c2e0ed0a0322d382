"""The clone meta attributes every op of a clone instance gets (OCF_RESKEY_CRM_meta_*),
as the real crm_simulate -G puts them on the graph's actions: clone, clone_max,
clone_node_max, globally_unique, notify, and for a promotable clone promoted_max,
promoted_node_max (and master_max, master_node_max)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from hacluster.controller.records import op_request

PROMOTABLE = '<nvpair id="c-p" name="promotable" value="true"/>'
VARIANTS = {
    "plain": "",
    "notify": '<nvpair id="c-n" name="notify" value="true"/>',
    "promotable": PROMOTABLE,
    "overrides": PROMOTABLE + '<nvpair id="c-pm" name="promoted-max" value="2"/>'
                 '<nvpair id="c-cm" name="clone-max" value="5"/>'
                 '<nvpair id="c-cn" name="clone-node-max" value="2"/>'
                 '<nvpair id="c-g" name="globally-unique" value="true"/>',
}
CLONE_KEYS = ("clone", "clone_max", "clone_node_max", "globally_unique", "notify",
              "promoted_max", "promoted_node_max", "master_max", "master_node_max")


def cib(meta: str) -> etree._Element:
    nodes = "".join(f'<node id="{n}" uname="node{n}"/>' for n in (1, 2))
    states = "".join(f'<node_state id="{n}" uname="node{n}" in_ccm="true" crmd="online" '
                     'join="member" expected="member"/>' for n in (1, 2))
    return etree.fromstring(
        '<cib have-quorum="1" validate-with="pacemaker-3.7" epoch="1" num_updates="1" '
        'admin_epoch="0"><configuration><crm_config><cluster_property_set id="o">'
        '<nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set>'
        f'</crm_config><nodes>{nodes}</nodes><resources><clone id="C">'
        f'<meta_attributes id="c">{meta}</meta_attributes>'
        '<primitive id="P" class="ocf" provider="pacemaker" type="Stateful"/></clone>'
        f"</resources><constraints/></configuration><status>{states}</status></cib>")


def ours(root: etree._Element) -> dict[str, str]:
    op = op_request(root, "P", "start", 0, "1:1:0:x", "node1", 0, "P:0")
    assert op is not None
    return {k: v for k, v in op.meta if k in CLONE_KEYS}


def test_a_promotable_clone_instance_op_carries_the_clone_meta_with_defaults() -> None:
    assert ours(cib(PROMOTABLE)) == {
        "clone": "0", "clone_max": "2", "clone_node_max": "1", "globally_unique": "false",
        "notify": "false", "promoted_max": "1", "promoted_node_max": "1",
        "master_max": "1", "master_node_max": "1"}


def test_a_primitive_outside_any_clone_gets_none_of_them() -> None:
    root = cib("")
    clone = root.find(".//clone")
    prim = clone.find("primitive")
    clone.getparent().replace(clone, prim)
    op = op_request(root, "P", "start", 0, "1:1:0:x", "node1")
    assert op is not None and not {k for k, _ in op.meta} & set(CLONE_KEYS)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_clone_meta_match_the_real_graph(variant: str, tmp_path: Path) -> None:
    tool = shutil.which("crm_simulate", path="/usr/sbin:/usr/bin")
    if tool is None:
        pytest.skip("the real crm_simulate (pacemaker-cli-utils) is not installed")
    root = cib(VARIANTS[variant])
    path, graph = tmp_path / "cib.xml", tmp_path / "graph.xml"
    path.write_bytes(etree.tostring(root))
    subprocess.run([tool, "-S", "-x", str(path), "-G", str(graph)], capture_output=True,
                   check=True, timeout=60)
    start = next(a for a in etree.parse(str(graph)).iter("rsc_op")
                 if a.get("operation_key", "").endswith("_start_0")
                 and a.get("on_node") == "node1")
    real = {k.removeprefix("CRM_meta_"): v for k, v in start.find("attributes").items()
            if k.removeprefix("CRM_meta_") in CLONE_KEYS}
    number = real["clone"]
    op = op_request(root, "P", "start", 0, "1:1:0:x", "node1", 0, f"P:{number}")
    assert op is not None
    assert {k: v for k, v in op.meta if k in CLONE_KEYS} == real

"""A failure read (node by node, in history order) on a node that is already unclean is
moot, as in Pacemaker: the resource simply moves off the fenced node; a failure read
before the one that got the node fenced is still recovered. Expected summaries are what
crm_simulate 2.1.5 prints for the same CIB."""

from __future__ import annotations

from lxml import etree

from hacluster.scheduler import schedule

DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"


def failed(rid: str, call: int) -> str:
    ops = (f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_start_0" operation="start" '
           f'interval="0" op-status="0" rc-code="0" call-id="{call}" transition-key="1:1:0:x" '
           f'op-digest="{DIGEST}"/><lrm_rsc_op id="{rid}_last_failure_0" '
           f'operation_key="{rid}_monitor_10000" operation="monitor" interval="10000" '
           f'op-status="0" rc-code="1" call-id="{call + 1}" transition-key="2:1:0:x"/>')
    return f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">{ops}' \
           "</lrm_resource>"


def prim(rid: str, on_fail: str) -> str:
    return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy"><operations>'
            f'<op id="{rid}-mon" name="monitor" interval="10s" on-fail="{on_fail}"/>'
            "</operations></primitive>")


def test_only_failures_read_before_the_fencing_one_are_recovered() -> None:
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>'
        + (failed("A", 2) + failed("F", 4) + failed("B", 6) if n == "node2" else "")
        + "</lrm_resources></lrm></node_state>" for n in ("node1", "node2"))
    text = ('<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="c">'
            '<nvpair id="s" name="stonith-enabled" value="true"/></cluster_property_set>'
            '</crm_config><nodes><node id="node1" uname="node1"/><node id="node2" '
            'uname="node2"/></nodes><resources><primitive id="fence" class="stonith" '
            f'type="fence_dummy"/>{prim("A", "restart")}{prim("F", "fence")}'
            f'{prim("B", "restart")}</resources><constraints/></configuration>'
            f"<status>{states}</status></cib>")
    lines = sorted(" ".join(line.split())
                   for line in schedule(etree.fromstring(text), now_s=0).summary_lines())
    assert lines == ["* Fence (reboot) node2 'F failed there'",
                     "* Move B ( node2 -> node1 )",
                     "* Recover A ( node2 -> node1 )",
                     "* Recover F ( node2 -> node1 )",
                     "* Start fence ( node1 )"]

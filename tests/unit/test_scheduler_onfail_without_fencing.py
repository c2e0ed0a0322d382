"""on-fail=fence when fencing is disabled: Pacemaker 2.1.5 reads it as on-fail=stop, so
the failed resource stops and stays stopped (expected summary read from the real
crm_simulate on the same CIB)."""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2")


def test_a_monitor_failure_with_on_fail_fence_and_no_fencing_stops_the_resource() -> None:
    rsc = ('<primitive id="A" class="ocf" provider="pacemaker" type="Dummy"><operations>'
           '<op id="A-mon" name="monitor" interval="10s" on-fail="fence"/></operations>'
           "</primitive>")
    ops = ('<lrm_resource id="A" class="ocf" provider="pacemaker" type="Dummy">'
           '<lrm_rsc_op id="A_last_0" operation_key="A_start_0" operation="start" '
           'transition-key="2:1:0:x" transition-magic="0:0;2:1:0:x" call-id="2" rc-code="0" '
           'op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>'
           '<lrm_rsc_op id="A_last_failure_0" operation_key="A_monitor_10000" '
           'operation="monitor" transition-key="3:1:0:x" transition-magic="0:1;3:1:0:x" '
           'call-id="3" rc-code="1" op-status="0" interval="10000"/></lrm_resource>')
    text = cibkit.cib_text(NODES, rsc, "", cibkit.node_states(NODES, {"node1": ops}))
    summary = schedule(etree.fromstring(text.encode()), now_s=0).summary_lines()
    assert [" ".join(line.split()) for line in summary] == [
        "* Stop A ( node1 ) due to node availability"]

"""on-fail values Pacemaker 2.1.5 resets: on-fail=fence when fencing is disabled reads as
on-fail=stop (the failed resource stops and stays stopped); on-fail=demote where it is not
allowed reads as the default (restart). Expected summaries read from the real
crm_simulate on the same CIBs."""

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


def test_on_fail_demote_on_a_monitor_without_the_promoted_role_acts_as_restart() -> None:
    # Pacemaker 2.1.5 allows on-fail=demote only for a promote or a recurring monitor of
    # the Promoted role; elsewhere it is reset to the default, so the instance recovers.
    rsc = ('<clone id="ms"><meta_attributes id="ms-m"><nvpair id="ms-p" name="promotable" '
           'value="true"/><nvpair id="ms-c" name="clone-max" value="1"/></meta_attributes>'
           '<primitive id="S" class="ocf" provider="pacemaker" type="Stateful"><operations>'
           '<op id="S-mon" name="monitor" interval="10s" on-fail="demote"/></operations>'
           "</primitive></clone>")
    ops = ('<lrm_resource id="S" class="ocf" provider="pacemaker" type="Stateful">'
           '<lrm_rsc_op id="S_last_0" operation_key="S_start_0" operation="start" '
           'transition-key="2:1:0:x" transition-magic="0:0;2:1:0:x" call-id="2" rc-code="0" '
           'op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>'
           '<lrm_rsc_op id="S_last_failure_0" operation_key="S_monitor_10000" '
           'operation="monitor" transition-key="3:1:0:x" transition-magic="0:1;3:1:0:x" '
           'call-id="3" rc-code="1" op-status="0" interval="10000"/></lrm_resource>')
    text = cibkit.cib_text(NODES, rsc, "", cibkit.node_states(NODES, {"node1": ops}))
    summary = schedule(etree.fromstring(text.encode()), now_s=0).summary_lines()
    assert [" ".join(line.split()) for line in summary] == [
        "* Recover S:0 ( Unpromoted node1 )"]

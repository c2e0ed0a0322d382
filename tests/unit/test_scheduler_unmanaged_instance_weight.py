"""An unmanaged (here: blocked by a failed stop) instance of a promotable clone stays on
its node with that node's own weight, 0: a resource mandatorily colocated with the
clone's Unpromoted role may go there, even though the instance's own score there is
-INFINITY (expected summary read from the real crm_simulate 2.1.5 on the same CIB)."""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2")
DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"


def op(rid: str, task: str, rc: int, call: int, kind: str = "Stateful") -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="{kind}">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_{task}_0" operation="{task}" '
            f'transition-key="{call}:1:0:x" transition-magic="0:{rc};{call}:1:0:x" '
            f'call-id="{call}" rc-code="{rc}" op-status="0" interval="0" '
            f'op-digest="{DIGEST}"/></lrm_resource>')


def test_a_dependent_of_the_unpromoted_role_joins_a_blocked_instance() -> None:
    rscs = ('<clone id="ms"><meta_attributes id="ms-m"><nvpair id="ms-p" name="promotable" '
            'value="true"/></meta_attributes><primitive id="S" class="ocf" '
            'provider="pacemaker" type="Stateful"/></clone>'
            '<primitive id="D" class="ocf" provider="pacemaker" type="Dummy"/>')
    cons = ('<rsc_colocation id="col" rsc="D" with-rsc="ms" with-rsc-role="Unpromoted" '
            'score="INFINITY"/><rsc_location id="loc" rsc="ms" role="Promoted" node="node1" '
            'score="-INFINITY"/>')
    lrm = {"node1": op("S", "stop", 1, 3), "node2": op("D", "start", 0, 4, "Dummy")}
    text = cibkit.cib_text(NODES, rscs, cons, cibkit.node_states(NODES, lrm))
    summary = schedule(etree.fromstring(text.encode()), now_s=0).summary_lines()
    assert sorted(" ".join(line.split()) for line in summary) == [
        "* Move D ( node2 -> node1 )", "* Start S:1 ( node1 )"]

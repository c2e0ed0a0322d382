"""Fencing without quorum, as crm_simulate 2.1.5 decides it (expected summaries read from
the real tool on the same CIBs): a partition without quorum (no-quorum-policy other than
ignore) still fences a node of its own membership, here one whose stop failed, but not a
node it lost."""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")
DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"
FENCING = '<primitive id="fencing" class="stonith" type="fence_xvm"/>'


def history(rid: str, task: str, rc: int) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_{task}_0" operation="{task}" '
            f'transition-key="3:1:0:x" transition-magic="0:{rc};3:1:0:x" call-id="3" '
            f'rc-code="{rc}" op-status="0" interval="0" op-digest="{DIGEST}"/></lrm_resource>')


def lines(states: str) -> list[str]:
    text = cibkit.cib_text(NODES, FENCING + '<primitive id="A" class="ocf" '
                           'provider="pacemaker" type="Dummy"/>', "", states, stonith=True,
                           props='<nvpair id="nqp" name="no-quorum-policy" value="stop"/>',
                           root='have-quorum="0"')
    summary = schedule(etree.fromstring(text.encode()), now_s=0).summary_lines()
    return sorted(" ".join(line.split()) for line in summary)


def test_a_member_whose_stop_failed_is_fenced_even_without_quorum() -> None:
    states = cibkit.node_states(NODES, {"node1": history("A", "stop", 1)})
    assert lines(states) == ["* Fence (reboot) node1 'A failed there'",
                             "* Start fencing ( node2 ) due to no quorum (blocked)",
                             "* Stop A ( node1 ) due to no quorum"]


def test_a_lost_node_is_not_fenced_without_quorum() -> None:
    states = cibkit.node_states(NODES, {"node3": history("A", "start", 0)}, offline=("node3",))
    assert lines(states) == ["* Start fencing ( node1 ) due to no quorum (blocked)",
                             "* Stop A ( node3 ) due to no quorum (blocked)"]

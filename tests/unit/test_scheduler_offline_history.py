"""Without fencing, the history of a node that is down is never read (Pacemaker 2.1.5
unpacks it only with stonith-enabled or shutdown-lock), so it does not make an anonymous
clone's instance known anywhere: the next instance started keeps the next number
(crm_simulate 2.1.5 on the same CIB: Start s:1, not s:2)."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

op = cibkit.stateful_op
history = cibkit.stateful_history

NODES = ("node1", "node2", "node3")


def cib() -> object:
    """s (promotable, clone-max 3) runs on node2; node3 is down (no fencing) with a
    promoted history of s; master-s 5 on node1 and node2."""
    lrm = {"node2": history(op("start", 1) + op("monitor", 2, interval=10000)),
           "node3": history(op("promote", 1) + op("monitor", 2, rc=8, interval=11000,
                                                   target=8))}
    master = ('<transient_attributes id="t{0}"><instance_attributes id="ta{0}"><nvpair '
              'id="m{0}" name="master-s" value="5"/></instance_attributes>'
              "</transient_attributes>")
    states = "".join(cibkit.node_state(n, lrm=lrm.get(n, ""), online=n != "node3",
                                       inner=master.format(n) if n != "node3" else "")
                     for n in NODES)
    resources = ('<clone id="ms"><meta_attributes id="msm"><nvpair id="msp" '
                 'name="promotable" value="true"/><nvpair id="cm" name="clone-max" '
                 'value="3"/></meta_attributes><primitive id="s" class="ocf" '
                 'provider="pacemaker" type="Stateful"/></clone>')
    return cibkit.cib(NODES, resources, "", states)


def test_a_down_nodes_history_does_not_number_instances_without_fencing() -> None:
    summary = [" ".join(line.split()) for line in schedule(cib(), now_s=0).summary_lines()]
    assert summary == ["* Promote s:0 ( Unpromoted -> Promoted node2 )",
                       "* Start s:1 ( node1 )"]

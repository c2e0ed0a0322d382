"""on-fail=demote of a Promoted-role monitor (Explained: operation properties; RHEL HA
docs: "setting on-fail to demote does not affect how promotion is decided"), as
crm_simulate 2.1.5 decides on the same CIB: the failed instance is demoted where it
runs and promoted there again when it still has the best promotion score (Re-promote);
as a failed instance it is placed after the others, not kept on its node first."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

op = cibkit.stateful_op
history = cibkit.stateful_history

NODES = ("node1", "node2", "node3")


def cib() -> object:
    """s promoted on node1 (master-s 10) whose Promoted monitor (on-fail=demote) failed;
    unpromoted on node2 and node3 (master-s 5)."""
    lrm = {"node1": history(op("start", 1) + op("promote", 2)
                            + op("monitor", 3, rc=1, interval=10000, target=8)),
           "node2": history(op("start", 4)), "node3": history(op("start", 5))}
    states = "".join(cibkit.node_state(
        n, lrm=lrm[n],
        inner=f'<transient_attributes id="t{n}"><instance_attributes id="ta{n}"><nvpair '
              f'id="m{n}" name="master-s" value="{v}"/></instance_attributes>'
              "</transient_attributes>") for n, v in (("node1", 10), ("node2", 5), ("node3", 5)))
    resources = ('<clone id="ms"><meta_attributes id="msm"><nvpair id="msp" '
                 'name="promotable" value="true"/></meta_attributes><primitive id="s" '
                 'class="ocf" provider="pacemaker" type="Stateful"><operations><op '
                 'id="s-m10" name="monitor" interval="10s" role="Promoted" on-fail="demote"/>'
                 '<op id="s-m11" name="monitor" interval="11s" role="Unpromoted"/>'
                 "</operations></primitive></clone>")
    return cibkit.cib(NODES, resources, "", states)


def test_a_demoted_instance_still_scoring_best_is_promoted_again() -> None:
    transition = schedule(cib(), now_s=0)
    assert [" ".join(line.split()) for line in transition.summary_lines()] == [
        "* Re-promote s:0 ( Promoted node1 )"]
    assert "s:0 promotion score on node1: 10" in transition.score_lines


def test_the_failed_instance_is_placed_after_the_others() -> None:
    lines = schedule(cib(), now_s=0).score_lines
    # s:1 and s:2 take node2 and node3 first; s:0 then finds only node1 left.
    assert "pcmk__primitive_assign: s:0 allocation score on node2: -INFINITY" in lines
    assert "pcmk__primitive_assign: s:1 allocation score on node1: 0" in lines

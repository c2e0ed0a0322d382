"""no-quorum-policy=demote and promoted-max, as crm_simulate 2.1.5 decides on the same
CIB: promotion is chosen as with quorum, so the instance with the best promotion score
takes the promoted slot and is then demoted by the policy; no other instance is promoted
in its place (the new instance only starts, and cannot without quorum)."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")


def op(rid: str, task: str, call: int) -> str:
    return (f'<lrm_rsc_op id="{rid}_{task}_{call}" operation_key="{rid}_{task}_0" '
            f'operation="{task}" interval="0" op-status="0" rc-code="0" call-id="{call}" '
            'transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" '
            'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def cib() -> object:
    """No quorum, no-quorum-policy=demote; s promoted on node2 (master-s 100), stopped
    on node1 (master-s 5), started on node3 which is down (cannot be fenced without
    quorum); a fencing device runs on node1."""
    stateful = 'class="ocf" provider="pacemaker" type="Stateful"'
    lrm = {"node1": '<lrm_resource id="fence" class="stonith" type="fence_xvm">'
                    f'{op("fence", "start", 1)}</lrm_resource>',
           "node2": f'<lrm_resource id="s" {stateful}>{op("s", "start", 1)}'
                    f'{op("s", "promote", 2)}</lrm_resource>',
           "node3": f'<lrm_resource id="s" {stateful}>{op("s", "start", 1)}</lrm_resource>'}
    master = {"node1": 5, "node2": 100}
    states = "".join(cibkit.node_state(
        n, lrm=lrm[n], online=n != "node3",
        inner=(f'<transient_attributes id="t{n}"><instance_attributes id="ta{n}"><nvpair '
               f'id="m{n}" name="master-s" value="{master[n]}"/></instance_attributes>'
               "</transient_attributes>") if n in master else "") for n in NODES)
    resources = ('<primitive id="fence" class="stonith" type="fence_xvm"/><clone id="ms">'
                 '<meta_attributes id="msm"><nvpair id="msp" name="promotable" value="true"/>'
                 f'</meta_attributes><primitive id="s" {stateful}/></clone>')
    return cibkit.cib(NODES, resources, "", states, stonith=True, root='have-quorum="0"',
                      props='<nvpair id="nqp" name="no-quorum-policy" value="demote"/>')


def test_the_demoted_best_instance_keeps_its_promoted_slot() -> None:
    summary = [" ".join(line.split()) for line in schedule(cib(), now_s=0).summary_lines()]
    assert "* Demote s:0 ( Promoted -> Unpromoted node2 )" in summary
    assert "* Start s:2 ( node1 ) due to no quorum (blocked)" in summary
    assert not any(line.startswith("* Promote") for line in summary)

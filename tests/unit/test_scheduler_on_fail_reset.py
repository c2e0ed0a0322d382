"""on-fail values Pacemaker 2.1.5 resets to the default (Explained: operation
properties; crm_simulate 2.1.5 on the same CIB): on-fail=demote only holds for a promote
or a recurring monitor of the Promoted role. A plain monitor of a promotable resource
with on-fail=demote that fails is recovered (restarted) like any failure."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

op = cibkit.stateful_op
history = cibkit.stateful_history

NODES = ("node1", "node2")


def cib() -> object:
    """s unpromoted on node1 (master-s 100), whose 10s monitor (on-fail=demote, no
    role) failed; promoted on node2 (master-s 10); promoted-max 2."""
    lrm = {"node1": history(op("start", 1) + op("monitor", 2, rc=1, interval=10000)),
           "node2": history(op("start", 3) + op("promote", 4)
                            + op("monitor", 5, rc=8, interval=11000, target=8))}
    states = "".join(cibkit.node_state(
        n, lrm=lrm[n],
        inner=f'<transient_attributes id="t{n}"><instance_attributes id="ta{n}"><nvpair '
              f'id="m{n}" name="master-s" value="{v}"/></instance_attributes>'
              "</transient_attributes>") for n, v in (("node1", 100), ("node2", 10)))
    resources = ('<clone id="ms"><meta_attributes id="msm"><nvpair id="msp" '
                 'name="promotable" value="true"/><nvpair id="mpm" name="promoted-max" '
                 'value="2"/></meta_attributes><primitive id="s" class="ocf" '
                 'provider="pacemaker" type="Stateful"><operations><op id="s-m10" '
                 'name="monitor" interval="10s" on-fail="demote"/><op id="s-m11" '
                 'name="monitor" interval="11s" role="Promoted" on-fail="demote"/>'
                 "</operations></primitive></clone>")
    return cibkit.cib(NODES, resources, "", states)


def test_on_fail_demote_of_a_plain_monitor_recovers_like_restart() -> None:
    summary = [" ".join(line.split()) for line in schedule(cib(), now_s=0).summary_lines()]
    assert summary == ["* Recover s:0 ( Unpromoted -> Promoted node1 )"]


def failed_stop(on_fail: str) -> object:
    """r's stop failed on node1 (fencing disabled); its stop op has `on_fail`."""
    ops = "".join(
        f'<lrm_rsc_op id="r_{task}_{call}" operation_key="r_{task}_0" operation="{task}" '
        f'interval="0" op-status="0" rc-code="{rc}" call-id="{call}" '
        f'transition-key="1:1:0:x" transition-magic="0:{rc};1:1:0:x" '
        'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>'
        for task, call, rc in (("start", 1, 0), ("stop", 2, 1)))
    lrm = {"node1": f'<lrm_resource id="r" class="ocf" provider="pacemaker" type="Dummy">'
                    f"{ops}</lrm_resource>"}
    resource = ('<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"><operations>'
                f'<op id="r-stop" name="stop" interval="0" on-fail="{on_fail}"/></operations>'
                "</primitive>")
    return cibkit.cib(NODES, resource, "", cibkit.node_states(NODES, lrm=lrm))


def test_stop_standby_and_stop_are_not_a_stops_on_fail() -> None:
    # Reset to the default (block without fencing): the resource is left alone.
    for value in ("stop", "standby"):
        assert list(schedule(failed_stop(value), now_s=0).summary_lines()) == []
    restart = [" ".join(line.split())
               for line in schedule(failed_stop("restart"), now_s=0).summary_lines()]
    assert restart == ["* Recover r ( node1 -> node2 )"]

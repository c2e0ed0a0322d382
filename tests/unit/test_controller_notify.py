"""The notify_* variables a clone instance's notify action gets (hacluster.controller.notify),
from our scheduler's transition: the values the real crm_simulate (Pacemaker 2.1.5) puts in
its graph (-G) for the same CIBs."""

from __future__ import annotations

from lxml import etree

from hacluster.controller.notify import notify_meta
from hacluster.events import RunScheduler
from hacluster.node import run_scheduler


def op(rsc_op: str, task: str, rc: int, interval: int = 0) -> str:
    return (f'<lrm_rsc_op id="{rsc_op}" operation_key="d_{task}_{interval}" operation="{task}" '
            f'transition-key="1:1:{rc}:x" transition-magic="0:{rc};1:1:{rc}:x" call-id="2" '
            f'rc-code="{rc}" op-status="0" interval="{interval}" '
            'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def state(node: int, *ops: str, agent: str = "Stateful") -> str:
    history = (f'<lrm id="{node}"><lrm_resources><lrm_resource id="d" class="ocf" '
               f'provider="pacemaker" type="{agent}">{"".join(ops)}</lrm_resource>'
               '</lrm_resources></lrm>') if ops else ""
    return (f'<node_state id="{node}" uname="n{node}" in_ccm="true" crmd="online" '
            f'join="member" expected="member">{history}</node_state>')


def cib(promotable: bool, states: str) -> bytes:
    meta = '<nvpair id="c-n" name="notify" value="true"/>' + (
        '<nvpair id="c-p" name="promotable" value="true"/>' if promotable else "")
    return (
        '<cib epoch="5" num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1">'
        '<configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" '
        'name="stonith-enabled" value="false"/></cluster_property_set></crm_config>'
        '<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/><node id="3" uname="n3"/>'
        f'</nodes><resources><clone id="c"><meta_attributes id="c-m">{meta}</meta_attributes>'
        '<primitive id="d" class="ocf" provider="pacemaker" type="Stateful"/></clone>'
        f'</resources><constraints/></configuration><status>{states}</status></cib>'
    ).encode()


def notify_of(xml: bytes, rsc: str, task: str) -> dict[str, str]:
    done = run_scheduler(RunScheduler((0, 5, 0), xml, 1_767_225_600))
    assert done.transition is not None
    actions = [s.action for s in done.transition.synapses]
    action = next(a for a in actions if a.rsc == rsc and a.task == task)
    return dict(notify_meta(etree.fromstring(xml), actions, action))


def test_a_clone_instance_starting_is_announced_to_the_active_one() -> None:
    xml = cib(False, state(1, op("d_last_0", "start", 0)) + state(2, op("d_last_0", "monitor", 7))
              + '<node_state id="3" uname="n3" in_ccm="false" crmd="offline" join="down" '
              'expected="down"/>')
    meta = notify_of(xml, "d:0", "pre_notify")
    assert meta["notify_type"] == "pre" and meta["notify_operation"] == "start"
    assert meta["notify_key_operation"] == "start"
    assert (meta["notify_active_resource"], meta["notify_active_uname"]) == ("d:0", "n1")
    assert (meta["notify_start_resource"], meta["notify_start_uname"]) == ("d:1", "n2")
    assert meta["notify_inactive_resource"] == "d:1 d:2"
    assert meta["notify_all_uname"] == meta["notify_available_uname"] == "n1 n2 n3"
    assert meta["notify_stop_resource"] == meta["notify_master_resource"] == " "
    assert meta["notify_slave_resource"] == " "  # not promotable: no roles listed
    post = notify_of(xml, "d:1", "post_notify")
    assert (post["notify_type"], post["notify_key_operation"]) == ("post", "running")


def test_a_promotable_clone_lists_roles_and_every_change() -> None:
    xml = cib(True, state(1, op("d_last_0", "promote", 0)) + state(2, op("d_last_0", "start", 0))
              + state(3, op("d_last_0", "monitor", 7)))
    meta = notify_of(xml, "d:0", "post_notify")
    assert (meta["notify_operation"], meta["notify_key_operation"]) == ("demote", "demoted")
    assert (meta["notify_active_resource"], meta["notify_active_uname"]) == ("d:0 d:1", "n1 n2")
    assert (meta["notify_demote_resource"], meta["notify_demote_uname"]) == ("d:0", "n1")
    assert (meta["notify_start_resource"], meta["notify_start_uname"]) == ("d:2", "n3")
    assert (meta["notify_master_resource"], meta["notify_master_uname"]) == ("d:0", "n1")
    assert (meta["notify_promoted_resource"], meta["notify_promoted_uname"]) == ("d:0", "n1")
    assert (meta["notify_slave_resource"], meta["notify_slave_uname"]) == ("d:1", "n2")
    assert meta["notify_unpromoted_resource"] == "d:1"
    assert meta["notify_inactive_resource"] == "d:2"
    assert meta["notify_promote_resource"] == meta["notify_stop_uname"] == " "

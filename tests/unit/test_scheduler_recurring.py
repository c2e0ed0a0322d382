"""Recurring operations in the transition graph, as crm_simulate 2.1.5 schedules them.

Every expectation is the set of "Executing Cluster Transition" resource actions the real
crm_simulate printed for the same CIB: a monitor with an interval runs after the start
and is not scheduled again while the history shows it active with the same op-digest
(parameters plus CRM_meta_timeout); a changed timeout or parameter schedules it again;
enabled=false, an op no longer configured (stop-orphan-actions) and maintenance cancel it
where it runs; a role change cancels the old role's op; a role=Stopped op runs where the
resource does not (after the stop); an op configured twice (same name and interval, even
written "40s" and "P40S") does not run at all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2")
START_DIGEST = hashlib.md5(b" <parameters/>\n").hexdigest()
MONITOR_DIGEST = hashlib.md5(b' <parameters CRM_meta_timeout="20000"/>\n').hexdigest()
ON_NODE1 = '<rsc_location id="l" rsc="A" node="node1" score="100"/>'


def op(rid: str, task: str, call: int, interval: int = 0, rc: int = 0, target: int = 0,
       digest: str = "") -> str:
    key = f"{call}:1:{target}:x"
    digest = digest or (MONITOR_DIGEST if interval else START_DIGEST)
    return (f'<lrm_rsc_op id="{rid}_{task}_{interval}" operation_key="{rid}_{task}_{interval}" '
            f'operation="{task}" interval="{interval}" op-status="0" rc-code="{rc}" '
            f'call-id="{call}" transition-key="{key}" transition-magic="0:{rc};{key}" '
            f'op-digest="{digest}"/>')


def lrm(rid: str, *ops: str, agent: str = "Dummy") -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="{agent}">'
            + "".join(ops) + "</lrm_resource>")


def started(rid: str, *recurring: str) -> str:
    """A start (call 1), then the given recurring ops (calls from 2)."""
    return lrm(rid, op(rid, "start", 1), *recurring)


def primitive(rid: str, ops: str = '<op id="m" name="monitor" interval="10s"/>',
              meta: str = "") -> str:
    meta_block = f'<meta_attributes id="{rid}-meta">{meta}</meta_attributes>' if meta else ""
    return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f"{meta_block}<operations>{ops}</operations></primitive>")


def cib(resources: str, status: dict[str, str], constraints: str = ON_NODE1,
        props: str = "", node_attrs: dict[str, str] | None = None) -> object:
    node_attrs = node_attrs or {}
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>{status.get(n, "")}'
        "</lrm_resources></lrm></node_state>" for n in NODES)
    nodes = "".join(f'<node id="{n}" uname="{n}">{node_attrs.get(n, "")}</node>' for n in NODES)
    return etree.fromstring(
        '<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="c">'
        f'<nvpair id="s" name="stonith-enabled" value="false"/>{props}'
        f"</cluster_property_set></crm_config><nodes>{nodes}</nodes>"
        f"<resources>{resources}</resources><constraints>{constraints}</constraints>"
        f"</configuration><status>{states}</status></cib>")


def probed(rid: str) -> str:
    return lrm(rid, op(rid, "monitor", 1, rc=7, target=7))


def executed(root: object) -> set[str]:
    """'RSC TASK on NODE' of every resource action (recurring ones as TASK=INTERVAL)."""
    out = set()
    for line in schedule(root, now_s=0).execution_lines():
        words = line.split()
        if words[1] == "Resource":
            out.add(f"{words[3]} {words[4]} on {words[6]}")
    return out


def test_a_monitor_already_active_with_the_same_digest_is_not_scheduled_again() -> None:
    active = op("A", "monitor", 2, 10000)
    assert executed(cib(primitive("A"), {"node1": started("A", active),
                                         "node2": probed("A")})) == set()


def test_a_started_resource_without_its_monitor_gets_it() -> None:
    assert executed(cib(primitive("A"), {"node1": started("A"), "node2": probed("A")})) \
        == {"A monitor=10000 on node1"}


def test_a_changed_digest_or_timeout_schedules_the_monitor_again() -> None:
    other = op("A", "monitor", 2, 10000, digest="0" * 32)
    assert executed(cib(primitive("A"), {"node1": started("A", other),
                                         "node2": probed("A")})) == {"A monitor=10000 on node1"}
    longer = primitive("A", '<op id="m" name="monitor" interval="10s" timeout="30s"/>')
    assert executed(cib(longer, {"node1": started("A", op("A", "monitor", 2, 10000)),
                                 "node2": probed("A")})) == {"A monitor=10000 on node1"}


def test_a_monitor_recorded_before_the_last_start_is_not_active() -> None:
    early = lrm("A", op("A", "monitor", 1, 10000), op("A", "start", 2))
    assert executed(cib(primitive("A"), {"node1": early, "node2": probed("A")})) \
        == {"A monitor=10000 on node1"}


def test_a_fresh_start_is_followed_by_its_monitor() -> None:
    assert executed(cib(primitive("A"), {})) == {
        "A monitor on node1", "A monitor on node2", "A start on node1",
        "A monitor=10000 on node1"}


def test_a_move_monitors_on_the_new_node_only() -> None:
    to_node2 = '<rsc_location id="l" rsc="A" node="node2" score="100"/>'
    assert executed(cib(primitive("A"), {"node1": started("A", op("A", "monitor", 2, 10000)),
                                         "node2": probed("A")}, to_node2)) == {
        "A stop on node1", "A start on node2", "A monitor=10000 on node2"}


def test_disabled_or_unconfigured_ops_are_cancelled_where_they_run() -> None:
    disabled = primitive("A", '<op id="m" name="monitor" interval="10s" enabled="false"/>')
    assert executed(cib(disabled, {"node1": started("A", op("A", "monitor", 2, 10000)),
                                   "node2": probed("A")})) == {"A cancel=10000 on node1"}
    orphan_op = started("A", op("A", "monitor", 2, 10000), op("A", "monitor", 3, 30000))
    assert executed(cib(primitive("A"), {"node1": orphan_op, "node2": probed("A")})) \
        == {"A cancel=30000 on node1"}
    kept = '<nvpair id="soa" name="stop-orphan-actions" value="false"/>'
    assert executed(cib(primitive("A"), {"node1": orphan_op, "node2": probed("A")},
                        props=kept)) == set()


def test_maintenance_cancels_active_monitors() -> None:
    status = {"node1": started("A", op("A", "monitor", 2, 10000)), "node2": probed("A")}
    in_maintenance = primitive("A", meta='<nvpair id="mt" name="maintenance" value="true"/>')
    assert executed(cib(in_maintenance, status)) == {"A cancel=10000 on node1"}
    mode = '<nvpair id="mm" name="maintenance-mode" value="true"/>'
    assert executed(cib(primitive("A"), status, props=mode)) == {"A cancel=10000 on node1"}
    node = {"node1": '<instance_attributes id="na"><nvpair id="nm" name="maintenance" '
                     'value="true"/></instance_attributes>'}
    assert executed(cib(primitive("A"), status, node_attrs=node)) == {"A cancel=10000 on node1"}


def test_an_unmanaged_resource_still_gets_its_missing_monitor() -> None:
    unmanaged = primitive("A", meta='<nvpair id="um" name="is-managed" value="false"/>')
    assert executed(cib(unmanaged, {"node1": started("A"), "node2": probed("A")})) \
        == {"A monitor=10000 on node1"}


def test_role_specific_monitors_of_a_plain_primitive() -> None:
    for role, want in (("Started", {"A monitor=10000 on node1"}), ("Unpromoted", set())):
        ops = f'<op id="m" name="monitor" interval="10s" role="{role}"/>'
        assert executed(cib(primitive("A", ops), {"node1": started("A"),
                                                  "node2": probed("A")})) == want


def test_a_stopped_role_monitor_runs_where_the_resource_does_not() -> None:
    ops = '<op id="m" name="monitor" interval="10s" role="Stopped"/>'
    assert executed(cib(primitive("A", ops), {"node1": started("A"), "node2": probed("A")})) \
        == {"A monitor=10000 on node2"}
    # Stopping it on node1 (target-role=Stopped) makes it run there again after the stop,
    # though the history shows it active there.
    stopped = primitive("A", ops, meta='<nvpair id="tr" name="target-role" value="Stopped"/>')
    seen = lrm("A", op("A", "monitor", 1, rc=7, target=7), op("A", "monitor", 2, 10000))
    assert executed(cib(stopped, {"node1": seen,
                                  "node2": probed("A")})) \
        == {"A stop on node1", "A monitor=10000 on node1", "A monitor=10000 on node2"}


def test_an_op_configured_twice_runs_nowhere() -> None:
    twice = ('<op id="m1" name="monitor" interval="40s"/>'
             '<op id="m2" name="monitor" interval="P40S"/>')
    assert executed(cib(primitive("A", twice), {"node1": started("A"),
                                                "node2": probed("A")})) == set()


def promotable(ops: str) -> str:
    return ('<clone id="M"><meta_attributes id="mm"><nvpair id="mm1" name="promotable" '
            'value="true"/><nvpair id="mm2" name="clone-max" value="2"/></meta_attributes>'
            '<primitive id="S" class="ocf" provider="pacemaker" type="Stateful"><operations>'
            f"{ops}</operations></primitive></clone>")


def test_promotion_cancels_the_unpromoted_monitor_and_starts_the_promoted_one() -> None:
    ops = ('<op id="mp" name="monitor" interval="10s" role="Promoted"/>'
           '<op id="mu" name="monitor" interval="11s" role="Unpromoted"/>')
    promoted = lrm("S", op("S", "start", 1), op("S", "promote", 2),
                   op("S", "monitor", 3, 10000, rc=8, target=8), agent="Stateful")
    unpromoted = lrm("S", op("S", "start", 1), op("S", "monitor", 2, 11000), agent="Stateful")
    to_node2 = '<rsc_location id="l" rsc="M" node="node2" score="100" role="Promoted"/>'
    got = executed(cib(promotable(ops), {"node1": promoted, "node2": unpromoted}, to_node2))
    assert {line for line in got if "=" in line} == {
        "S cancel=10000 on node1", "S monitor=11000 on node1",
        "S cancel=11000 on node2", "S monitor=10000 on node2"}
    stays = '<rsc_location id="l" rsc="M" node="node1" score="100" role="Promoted"/>'
    assert executed(cib(promotable(ops), {"node1": promoted, "node2": unpromoted}, stays)) \
        == set()


def test_a_monitor_without_role_is_not_run_in_the_promoted_role() -> None:
    ops = '<op id="m" name="monitor" interval="10s"/>'
    got = executed(cib(promotable(ops), {},
                       '<rsc_location id="l" rsc="M" node="node1" score="100" '
                       'role="Promoted"/>'))
    assert {line for line in got if "=" in line} == {"S:1 monitor=10000 on node2"}


def test_a_cluster_whose_graph_still_cancels_an_op_is_not_settled(tmp_path: Path) -> None:
    """The controller runs the graph's recurring ops and cancels: `--wait` waits for them,
    as Pacemaker's does (an op removed from the configuration but still in the history
    is cancelled by the next transition, which drops it from the history)."""
    from hacluster.api import wait
    from hacluster.api.env import CibFile

    orphan_op = started("A", op("A", "monitor", 2, 10000), op("A", "monitor", 3, 30000))
    root = cib(primitive("A"), {"node1": orphan_op, "node2": probed("A")})
    assert executed(root) == {"A cancel=30000 on node1"}
    root.set("validate-with", "pacemaker-3.7")
    for name in ("epoch", "num_updates", "admin_epoch"):
        root.set(name, "1")
    path = tmp_path / "cib.xml"
    path.write_bytes(etree.tostring(root))
    assert wait.pending(CibFile(str(path)), 0).actions == ("cancel A on node1",)

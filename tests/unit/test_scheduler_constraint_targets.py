"""Which resource a constraint names, and what a blocked clone does to what depends on it.

Each expectation is the Transition Summary of the real crm_simulate (Pacemaker 2.1.5) on
the same CIB: a constraint naming the primitive inside an anonymous clone names the clone
only once some read history carries that plain id (an instance renamed from it), else it is
ignored; a dependent of a clone whose every instance start an ordering blocked cannot
start ("colocation with" the clone); a running instance whose start an ordering blocked
stops, even after an asymmetrical ordering when what comes first is a primitive (a
group or clone that still has an active member does not block what follows it
asymmetrically: the corpus' bug-5014-GROUP-A-stopped-B-started, promoted-asymmetrical-order).
"""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")
DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"
# C (clone-max 2) prefers node1, then node2; X prefers node3; Y can run nowhere.
LOCATIONS = ('<rsc_location id="l1" rsc="C" node="node1" score="100"/>'
             '<rsc_location id="l2" rsc="C" node="node2" score="50"/>'
             '<rsc_location id="l3" rsc="X" node="node3" score="10"/>'
             + "".join(f'<rsc_location id="no-y-{n}" rsc="Y" node="{n}" score="-INFINITY"/>'
                       for n in NODES))
WITH_P = '<rsc_colocation id="c1" rsc="X" with-rsc="P" score="INFINITY"/>'
Y_THEN_P = '<rsc_order id="o1" first="Y" then="P"/>'


def history(rid: str, rc: int, call: int) -> str:
    task = "start" if rc == 0 else "monitor"
    key = f"{call}:1:{0 if rc == 0 else 7}:x"
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_{task}_0" '
            f'operation="{task}" interval="0" op-status="0" rc-code="{rc}" call-id="{call}" '
            f'transition-key="{key}" transition-magic="0:{rc};{key}" '
            f'op-digest="{DIGEST}"/></lrm_resource>')


def cib(constraints: str, lrm: dict[str, str] | None = None, offline: str = "",
        fencing: bool = False, clone_meta: str = "", agent: str = "Dummy") -> object:
    """Clone C of P, primitives X and Y; `lrm` maps node -> its lrm_resource elements."""
    states = cibkit.node_states(NODES, lrm or {}, (offline,) if offline else (), down=True)
    device = '<primitive id="F" class="stonith" type="fence_xvm"/>' if fencing else ""
    resources = ('<clone id="C"><meta_attributes id="cm">'
                 f'<nvpair id="cm1" name="clone-max" value="2"/>{clone_meta}</meta_attributes>'
                 f'<primitive id="P" class="ocf" provider="pacemaker" type="{agent}"/></clone>'
                 '<primitive id="X" class="ocf" provider="pacemaker" type="Dummy"/>'
                 f'{device}<primitive id="Y" class="ocf" provider="pacemaker" type="Dummy"/>')
    return cibkit.cib(NODES, resources, LOCATIONS + constraints, states, stonith=fencing)


def summary(root: object) -> list[str]:
    return sorted(" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines())


def test_constraints_naming_a_clones_primitive_without_any_history_are_ignored() -> None:
    sets = ('<rsc_location id="lp" rsc="P" node="node1" score="-INFINITY"/>'
            '<rsc_colocation id="cs"><resource_set id="s1"><resource_ref id="X"/>'
            '<resource_ref id="P"/></resource_set></rsc_colocation>'
            '<rsc_order id="os"><resource_set id="s2"><resource_ref id="Y"/>'
            '<resource_ref id="P"/></resource_set></rsc_order>')
    free = ["* Start P:0 ( node1 )", "* Start P:1 ( node2 )", "* Start X ( node3 )"]
    assert summary(cib(WITH_P + Y_THEN_P)) == free
    assert summary(cib(sets)) == free


def test_a_probe_of_the_plain_id_makes_constraints_naming_it_apply_to_the_clone() -> None:
    root = cib(WITH_P + Y_THEN_P, lrm={"node1": history("P", 7, 2)})
    assert summary(root) == [
        "* Start P:0 ( node1 ) due to unrunnable Y start (blocked)",
        "* Start P:1 ( node2 ) due to unrunnable Y start (blocked)",
        "* Start X ( node1 ) due to colocation with C (blocked)"]


def test_history_on_a_node_that_left_counts_only_with_fencing_enabled() -> None:
    lrm = {"node3": history("P", 7, 2)}
    assert summary(cib(Y_THEN_P, lrm=lrm, offline="node3")) == [
        "* Start P:0 ( node1 )", "* Start P:1 ( node2 )", "* Start X ( node1 )"]
    assert summary(cib(WITH_P + Y_THEN_P, lrm=lrm, offline="node3", fencing=True)) == [
        "* Start F ( node2 )",
        "* Start P:0 ( node1 ) due to unrunnable Y start (blocked)",
        "* Start P:1 ( node2 ) due to unrunnable Y start (blocked)",
        "* Start X ( node1 ) due to colocation with C (blocked)"]


def test_a_ticket_naming_the_clones_primitive_applies_once_it_has_history() -> None:
    ticket = '<rsc_ticket id="tk" rsc="P" ticket="T"/>'
    assert summary(cib(ticket)) == [
        "* Start P:0 ( node1 )", "* Start P:1 ( node2 )", "* Start X ( node3 )"]
    running = {"node1": history("P", 7, 2), "node2": history("P", 0, 3),
               "node3": history("P", 7, 4)}
    assert summary(cib(ticket, lrm=running)) == [
        "* Start X ( node3 )", "* Stop P:0 ( node2 ) due to node availability"]


def test_a_running_instance_whose_start_a_mandatory_order_blocks_stops() -> None:
    running = {"node2": history("P", 0, 2)}
    keep_off_1 = '<rsc_location id="lp" rsc="C" node="node1" score="-INFINITY"/>'
    order = '<rsc_order id="o1" first="Y" then="C"/>'
    assert summary(cib(keep_off_1 + order, lrm=running)) == [
        "* Start P:1 ( node3 ) due to unrunnable Y start (blocked)",
        "* Start X ( node3 )",
        "* Stop P:0 ( node2 ) due to unrunnable Y start"]
    promotable = '<nvpair id="cm2" name="promotable" value="true"/>'
    assert summary(cib(keep_off_1 + order, lrm=running, clone_meta=promotable,
                       agent="Stateful")) == [
        "* Start P:1 ( node3 ) due to unrunnable Y start (blocked)",
        "* Start X ( node3 )",
        "* Stop P:0 ( Unpromoted node2 ) due to unrunnable Y start"]


def test_an_asymmetrical_order_after_what_cannot_start_stops_a_running_clone() -> None:
    running = {"node2": history("P", 0, 2)}
    order = '<rsc_order id="o1" first="Y" then="C" symmetrical="false"/>'
    assert summary(cib(order, lrm=running)) == [
        "* Start P:1 ( node2 ) due to unrunnable Y start (blocked)", "* Start X ( node3 )",
        "* Stop P:0 ( node2 ) due to unrunnable Y start"]


def test_an_asymmetrical_order_after_a_disabled_primitive_still_running_stops_too() -> None:
    root = cib('<rsc_order id="o1" first="Y" then="C" symmetrical="false"/>',
               lrm={"node2": history("P", 0, 2), "node1": history("Y", 0, 3)})
    resources = root.find("configuration/resources")
    y = next(e for e in resources if e.get("id") == "Y")
    y.append(etree.fromstring('<meta_attributes id="ym"><nvpair id="ym1" name="target-role" '
                              'value="Stopped"/></meta_attributes>'))
    assert summary(root) == [
        "* Start P:1 ( node2 ) due to unrunnable Y start (blocked)", "* Start X ( node3 )",
        "* Stop P:0 ( node2 ) due to unrunnable Y start",
        "* Stop Y ( node1 ) due to node availability"]


def test_an_asymmetrical_order_leaves_a_running_group_alone() -> None:
    root = cib('<rsc_order id="o1" first="Y" then="G" symmetrical="false"/>',
               lrm={"node1": history("Z", 0, 3)})
    root.find("configuration/resources").append(etree.fromstring(
        '<group id="G"><primitive id="Z" class="ocf" provider="pacemaker" type="Dummy"/>'
        '</group>'))
    assert summary(root) == [
        "* Start P:0 ( node1 )", "* Start P:1 ( node2 )", "* Start X ( node3 )"]


def failed_stop(rid: str, call: int) -> str:
    key = f"{call}:1:0:x"
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_stop_0" operation="stop" '
            f'interval="0" op-status="0" rc-code="1" call-id="{call}" transition-key="{key}" '
            f'transition-magic="0:1;{key}" op-digest="{DIGEST}"/></lrm_resource>')


def test_what_must_stop_after_a_resource_whose_stop_failed_is_blocked() -> None:
    """Y's stop failed without fencing (Y is blocked): X, which must leave node2 and stop
    before Y stops (the inverse of "X then Y"), cannot; an asymmetrical order has no
    inverse, so X moves."""
    ban = '<rsc_location id="bx" rsc="X" node="node2" score="-INFINITY"/>'
    lrm = {"node1": failed_stop("Y", 3), "node2": history("X", 0, 4)}
    assert summary(cib(ban + '<rsc_order id="o" first="X" then="Y"/>', lrm=lrm)) == [
        "* Start P:0 ( node1 )", "* Start P:1 ( node2 )", "* Stop X ( node2 ) blocked"]
    asym = '<rsc_order id="o" first="X" then="Y" symmetrical="false"/>'
    assert summary(cib(ban + asym, lrm=lrm)) == [
        "* Move X ( node2 -> node3 )", "* Start P:0 ( node1 )", "* Start P:1 ( node2 )"]


def test_an_optional_colocation_that_would_leave_no_node_is_rolled_back() -> None:
    """X must stay off R's node by -100, but its only other node is banned: Pacemaker
    rolls that colocation back rather than stop X (a -INFINITY one would stop it)."""
    bans = ('<rsc_location id="xn1" rsc="X" node="node1" score="-INFINITY"/>'
            '<rsc_location id="xn3" rsc="X" node="node3" score="-INFINITY"/>'
            '<rsc_location id="yn" rsc="C" node="node2" score="-INFINITY"/>')
    lrm = {"node2": history("X", 0, 2)}
    away = '<rsc_colocation id="away" rsc="X" with-rsc="Y2" score="-100"/>'
    y2 = etree.fromstring('<primitive id="Y2" class="ocf" provider="pacemaker" type="Dummy"/>')
    stop_x = ["* Stop X ( node2 ) due to node availability"]
    for score, x_line in (("-100", []), ("-INFINITY", stop_x)):
        root = cib(bans + away.replace("-100", score) +
                   '<rsc_location id="y2" rsc="Y2" node="node2" score="100"/>', lrm=lrm)
        root.find("configuration/resources").append(y2)
        assert summary(root) == sorted(["* Start P:0 ( node1 )", "* Start P:1 ( node3 )",
                                        "* Start Y2 ( node2 )", *x_line])


def test_an_optional_colocation_with_a_clone_is_rolled_back_instance_by_instance() -> None:
    """X keeps off C's instances by -100, node3 is banned: the instance on node1 pushes X
    off node1, the one on node2 would leave X nowhere, so only that one is rolled back."""
    away = ('<rsc_colocation id="away" rsc="X" with-rsc="C" score="-100"/>'
            '<rsc_location id="xn3" rsc="X" node="node3" score="-INFINITY"/>')
    assert summary(cib(away)) == [
        "* Start P:0 ( node1 )", "* Start P:1 ( node2 )", "* Start X ( node2 )"]


def test_a_group_keeps_its_node_when_an_optional_colocation_would_leave_it_none() -> None:
    bans = ('<rsc_location id="gn1" rsc="G" node="node1" score="-INFINITY"/>'
            '<rsc_location id="gn3" rsc="G" node="node3" score="-INFINITY"/>'
            '<rsc_location id="yn" rsc="C" node="node2" score="-INFINITY"/>'
            '<rsc_location id="y2" rsc="Y2" node="node2" score="100"/>'
            '<rsc_colocation id="away" rsc="G" with-rsc="Y2" score="-100"/>')
    root = cib(bans, lrm={"node2": history("Z", 0, 2)})
    resources = root.find("configuration/resources")
    resources.append(etree.fromstring(
        '<group id="G"><primitive id="Z" class="ocf" provider="pacemaker" type="Dummy"/>'
        '</group>'))
    resources.append(etree.fromstring(
        '<primitive id="Y2" class="ocf" provider="pacemaker" type="Dummy"/>'))
    assert summary(root) == ["* Start P:0 ( node1 )", "* Start P:1 ( node3 )",
                             "* Start X ( node3 )", "* Start Y2 ( node2 )"]

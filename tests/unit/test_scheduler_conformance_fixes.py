"""Scheduler semantics found through the last failing conformance cases, on small CIBs."""

from __future__ import annotations

from lxml import etree

from hacluster.scheduler import op_digest, schedule

NODE = ('<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        'expected="member">{lrm}</node_state>')
UNCLEAN = '<node_state id="{n}" uname="{n}" crmd="offline" join="down"/>'
OP = ('<lrm id="{n}"><lrm_resources><lrm_resource id="{r}" class="ocf" provider="heartbeat" '
      'type="Dummy"><lrm_rsc_op id="{r}_{t}_0" operation="{t}" interval="{i}" op-status="0" '
      'rc-code="{rc}" call-id="2" transition-key="1:1:0:x"/></lrm_resource></lrm_resources></lrm>')
FENCE_DEVICE = '<primitive id="fencer" class="stonith" type="fence_dummy"/>'


def dummy(rid: str) -> str:
    return f'<primitive id="{rid}" class="ocf" provider="heartbeat" type="Dummy"/>'


def build(resources: str, states: str, stonith: str = "true") -> object:
    nodes = "".join(f'<node id="{n}" uname="{n}"/>' for n in ("node1", "node2", "node3"))
    return etree.fromstring(
        '<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="cps">'
        f'<nvpair id="s" name="stonith-enabled" value="{stonith}"/></cluster_property_set>'
        f'</crm_config><nodes>{nodes}</nodes><resources>{resources}</resources>'
        f'<constraints/></configuration><status>{states}</status></cib>')


def lines(root: object) -> list[str]:
    return [" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines()]


def failed_r2_and_unclean_node3() -> str:
    return (NODE.format(n="node1", lrm="")
            + NODE.format(n="node2", lrm=OP.format(n="node2", r="r2", t="monitor", i="10000",
                                                   rc=1))
            + UNCLEAN.format(n="node3"))


def test_fencing_enabled_without_any_fencing_device_starts_recovers_and_fences_nothing() -> None:
    root = build(dummy("r1") + dummy("r2"), failed_r2_and_unclean_node3())
    assert lines(root) == []


def test_the_same_cluster_with_a_fencing_device_fences_starts_and_recovers() -> None:
    got = lines(build(FENCE_DEVICE + dummy("r1") + dummy("r2"), failed_r2_and_unclean_node3()))
    assert any(line.startswith("* Fence (reboot) node3") for line in got)
    assert any(line.startswith("* Start r1") for line in got)
    assert any(line.startswith("* Recover r2") for line in got)


def test_fencing_disabled_without_a_device_still_starts_and_recovers() -> None:
    got = lines(build(dummy("r1") + dummy("r2"), failed_r2_and_unclean_node3(), "false"))
    assert any(line.startswith("* Start r1") for line in got)
    assert any(line.startswith("* Recover r2") for line in got)
    assert not any(line.startswith("* Fence") for line in got)


def util_cib(caps: tuple[int, ...], resources: str, constraints: str) -> object:
    names = [f"node{i + 1}" for i in range(len(caps))]
    nodes = "".join(f'<node id="{n}" uname="{n}"><utilization id="{n}-u"><nvpair id="{n}-c" '
                    f'name="cpu" value="{c}"/></utilization></node>' for n, c in zip(names, caps, strict=True))
    states = "".join(NODE.format(n=n, lrm="") for n in names)
    return etree.fromstring(
        '<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="cps">'
        '<nvpair id="s" name="stonith-enabled" value="false"/><nvpair id="p" '
        'name="placement-strategy" value="utilization"/></cluster_property_set></crm_config>'
        f'<nodes>{nodes}</nodes><resources>{resources}</resources>'
        f'<constraints>{constraints}</constraints></configuration><status>{states}</status></cib>')


def cpu(rid: str, value: int = 2) -> str:
    return (f'<primitive id="{rid}" class="ocf" provider="heartbeat" type="Dummy">'
            f'<utilization id="{rid}-u"><nvpair id="{rid}-c" name="cpu" value="{value}"/>'
            '</utilization></primitive>')


def clone(cid: str, inner: str) -> str:
    return (f'<clone id="{cid}"><meta_attributes id="{cid}-m"><nvpair id="{cid}-max" '
            f'name="clone-max" value="2"/></meta_attributes>{inner}</clone>')


def coloc(dep: str, primary: str) -> str:
    return f'<rsc_colocation id="{dep}-with-{primary}" rsc="{dep}" with-rsc="{primary}" ' \
           'score="INFINITY"/>'


def test_utilization_strategy_breaks_ties_by_name_not_by_free_capacity() -> None:
    got = lines(util_cib((4, 8, 10), clone("c1", cpu("r1")), ""))
    assert got == ["* Start r1:0 ( node1 )", "* Start r1:1 ( node2 )"]


def test_a_clone_instance_needs_room_for_one_instance_of_a_clone_colocated_with_it() -> None:
    group = '<group id="g1">' + cpu("r2") + cpu("r3") + "</group>"
    got = lines(util_cib((4, 8, 10), clone("c1", cpu("r1")) + clone("c2", group),
                         coloc("c2", "c1")))
    assert "* Start r1:0 ( node2 )" in got and "* Start r1:1 ( node3 )" in got


def test_when_no_node_has_room_for_all_followers_the_roomiest_node_is_preferred() -> None:
    got = lines(util_cib((3, 5), cpu("r1") + cpu("r2") + cpu("r3"),
                         coloc("r2", "r1") + coloc("r3", "r1")))
    assert got == ["* Start r1 ( node2 )", "* Start r2 ( node2 )"]  # as crm_simulate 2.1.5
    got = lines(util_cib((6, 8), cpu("r1") + cpu("r2") + cpu("r3"),
                         coloc("r2", "r1") + coloc("r3", "r1")))
    assert "* Start r1 ( node1 )" in got  # both have room for all three: no preference


def test_the_op_digest_is_taken_over_xml_escaped_parameter_values() -> None:
    # As recorded by Pacemaker for set_policy='HA ^(?!amq\.).* {"ha-mode":"all"}'.
    value = 'HA ^(?!amq\\.).* {"ha-mode":"all"}'
    assert op_digest({"set_policy": value}) == "2ebdda5ddce91e8c3b822256678ca77e"

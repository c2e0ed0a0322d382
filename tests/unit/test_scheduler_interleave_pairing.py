"""An instance an interleaved ordering takes off its node (no instance of the first clone
there any more) pairs with the first clone's instance on the best node of its own scores;
when that instance starts, its Stop reads "due to required <instance> start", as the real
crm_simulate (Pacemaker 2.1.5) prints it on the same CIB."""

from __future__ import annotations

from lxml import etree

from hacluster.scheduler import schedule


def running(rid: str, call: int) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_start_0" operation="start" '
            f'interval="0" op-status="0" rc-code="0" call-id="{call}" transition-key="1:1:0:x" '
            'transition-magic="0:0;1:1:0:x" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>'
            "</lrm_resource>")


def clone(cid: str, rid: str, meta: dict[str, str]) -> str:
    return (f'<clone id="{cid}"><meta_attributes id="{cid}-m">'
            + "".join(f'<nvpair id="{cid}-{k}" name="{k}" value="{v}"/>' for k, v in meta.items())
            + f'</meta_attributes><primitive id="{rid}" class="ocf" provider="pacemaker" '
            'type="Dummy"/></clone>')


def cib() -> object:
    """a (one instance, on n1) is where b must be; b runs on n2 only; c (interleaved after
    b) runs on n1 and n2."""
    lrm = {"n1": running("a", 1) + running("c", 2), "n2": running("b", 1) + running("c", 2)}
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>{lrm[n]}</lrm_resources></lrm>'
        "</node_state>" for n in ("n1", "n2"))
    return etree.fromstring(
        '<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="c">'
        '<nvpair id="se" name="stonith-enabled" value="false"/></cluster_property_set>'
        '</crm_config><nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes>'
        "<resources>"
        + clone("A", "a", {"clone-max": "1", "interleave": "true"})
        + clone("B", "b", {"interleave": "true"})
        + clone("C", "c", {"interleave": "true", "clone-max": "2", "resource-stickiness": "0"})
        + '</resources><constraints><rsc_colocation id="ba" rsc="B" with-rsc="A" '
        'score="INFINITY"/><rsc_order id="bc" first="B" then="C"/></constraints>'
        f"</configuration><status>{states}</status></cib>")


def test_a_stop_forced_by_an_interleaved_ordering_names_the_start_it_pairs_with() -> None:
    lines = sorted(" ".join(line.split()).replace("( ", "(").replace(" )", ")")
                   for line in schedule(cib(), now_s=0).summary_lines())
    assert lines == ["* Move b:0 (n2 -> n1)",
                     "* Restart c:0 (n1) due to required b:0 start",
                     "* Stop c:1 (n2) due to required b:0 start"]


def test_the_stop_names_the_instance_on_its_own_node_even_when_that_one_cannot_start() -> None:
    # A is stopped (target-role), so no instance of B may be active (interleaved after A),
    # nor of C after B: C's instances pair with B's on their own nodes, whose starts cannot
    # run, and say so.
    lrm = {"n1": running("b", 1) + running("c", 2), "n2": running("b", 1) + running("c", 2)}
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>{lrm[n]}</lrm_resources></lrm>'
        "</node_state>" for n in ("n1", "n2"))
    root = etree.fromstring(
        '<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="c">'
        '<nvpair id="se" name="stonith-enabled" value="false"/></cluster_property_set>'
        '</crm_config><nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes>'
        "<resources>" + clone("A", "a", {"target-role": "Stopped"})
        + clone("B", "b", {"interleave": "true"}) + clone("C", "c", {"interleave": "true"})
        + '</resources><constraints><rsc_order id="ab" first="A" then="B"/>'
        '<rsc_order id="bc" first="B" then="C"/></constraints>'
        f"</configuration><status>{states}</status></cib>")
    lines = sorted(" ".join(line.split()).replace("( ", "(").replace(" )", ")")
                   for line in schedule(root, now_s=0).summary_lines())
    assert lines == ["* Stop b:0 (n1)", "* Stop b:1 (n2)",
                     "* Stop c:0 (n1) due to unrunnable b:0 start",
                     "* Stop c:1 (n2) due to unrunnable b:1 start"]

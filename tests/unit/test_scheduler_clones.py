"""Clone instance assignment and promotion (Pacemaker Explained: clones, promotable
clones), on small CIBs whose expected scores and summaries were read from the real
crm_simulate 2.1.5: the printed tables are the ones that decide."""

from __future__ import annotations

from hacluster.api.simulate import simulate

HEAD = """<cib have-quorum="1"><configuration><crm_config>
<cluster_property_set id="c"><nvpair id="s" name="stonith-enabled" value="false"/>
</cluster_property_set></crm_config><nodes>{nodes}</nodes><resources>{resources}</resources>
<constraints>{constraints}</constraints></configuration><status>{status}</status></cib>"""


def node_state(name: str, attrs: str = "", lrm: str = "") -> str:
    extra = (f'<transient_attributes id="{name}"><instance_attributes id="t{name}">{attrs}'
             '</instance_attributes></transient_attributes>') if attrs else ""
    return (f'<node_state id="{name}" uname="{name}" in_ccm="true" crmd="online" '
            f'join="member" expected="member">{extra}{lrm}</node_state>')


def run(resources: str, constraints: str = "", status: str = "",
        nodes: tuple[str, ...] = ("n1", "n2")) -> tuple[set[str], set[str]]:
    cib = HEAD.format(nodes="".join(f'<node id="{n}" uname="{n}"/>' for n in nodes),
                      resources=resources, constraints=constraints,
                      status=status or "".join(node_state(n) for n in nodes))
    transition = simulate(cib, now_s=0).transition
    summary = {" ".join(line.split()) for line in transition.summary_lines()}
    return set(transition.score_lines), summary


def clone(cid: str, pid: str, meta: str = "", agent: str = "Dummy") -> str:
    return (f'<clone id="{cid}"><meta_attributes id="{cid}-m">{meta}</meta_attributes>'
            f'<primitive id="{pid}" class="ocf" provider="pacemaker" type="{agent}"/></clone>')


def nv(name: str, value: str) -> str:
    return f'<nvpair id="{name}-{value}" name="{name}" value="{value}"/>'


def test_a_mandatory_colocation_with_the_promoted_role_adds_the_promoted_instance_score() -> None:
    resources = (clone("M", "m", nv("promotable", "true"), "Stateful")
                 + '<primitive id="ip" class="ocf" provider="pacemaker" type="Dummy"/>')
    constraints = ('<rsc_colocation id="c1" rsc="ip" with-rsc="M" with-rsc-role="Promoted" '
                   'score="INFINITY"/><rsc_location id="l1" rsc="M" node="n2" score="40"/>')
    status = node_state("n1", nv("master-m", "10")) + node_state("n2", nv("master-m", "5"))
    lines, summary = run(resources, constraints, status)
    assert "pcmk__primitive_assign: m:0 allocation score on n2: 45" in lines
    assert "m:0 promotion score on n2: 45" in lines
    assert "pcmk__primitive_assign: ip allocation score on n2: 45" in lines
    assert "pcmk__primitive_assign: ip allocation score on n1: -INFINITY" in lines
    assert "* Promote m:0 ( Stopped -> Promoted n2 )" in summary
    assert "* Start ip ( n2 )" in summary


STOPPED_A = clone("A", "a", nv("target-role", "Stopped"))


def test_an_interleaved_clone_after_a_clone_that_runs_nowhere_lists_no_start() -> None:
    resources = STOPPED_A + clone("B", "b", nv("interleave", "true"))
    _, summary = run(resources, '<rsc_order id="o1" first="A" then="B"/>')
    assert summary == set()


def test_a_clone_after_a_clone_that_runs_nowhere_lists_its_unrunnable_starts() -> None:
    resources = STOPPED_A + clone("B", "b")
    _, summary = run(resources, '<rsc_order id="o1" first="A" then="B"/>')
    assert summary == {"* Start b:0 ( n1 ) due to unrunnable A running (blocked)",
                       "* Start b:1 ( n2 ) due to unrunnable A running (blocked)"}


def running(rid: str, node: str) -> str:
    return (f'<lrm><lrm_resources><lrm_resource id="{rid}" class="ocf" provider="pacemaker" '
            f'type="Dummy"><lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_start_0" '
            'operation="start" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" '
            f'call-id="2" rc-code="0" op-status="0" interval="0" on_node="{node}"/>'
            '</lrm_resource></lrm_resources></lrm>')


def test_an_instance_not_kept_where_it_runs_prints_its_table_twice() -> None:
    # Room for one instance only on n2: keeping r:0 on n1 is undone (n1 is full), then
    # r:1 keeps n2 and r:0's second turn finds no node; its two tables differ on n2.
    nodes = ("n1", "n2")
    util = ('<utilization id="u{n}"><nvpair id="m{n}" name="memory" value="{v}"/>'
            '</utilization>')
    resources = ('<clone id="R"><primitive id="r" class="ocf" provider="pacemaker" '
                 'type="Dummy">' + util.format(n="r", v="512") + '</primitive></clone>'
                 '<primitive id="big" class="ocf" provider="pacemaker" type="Dummy">'
                 '<meta_attributes id="bm">' + nv("priority", "9") + '</meta_attributes>'
                 + util.format(n="big", v="1024") + '</primitive>')
    cib = HEAD.format(
        nodes="".join(f'<node id="{n}" uname="{n}">' + util.format(n=n, v="1024") + '</node>'
                      for n in nodes),
        resources=resources, constraints="",
        status=node_state("n1", lrm=running("r", "n1")) + node_state("n2", lrm=running("r", "n2")))
    cib = cib.replace('<cluster_property_set id="c">', '<cluster_property_set id="c">'
                      + nv("placement-strategy", "utilization"))
    transition = simulate(cib, now_s=0).transition
    lines = list(transition.score_lines)
    assert lines.count("pcmk__primitive_assign: r:0 allocation score on n1: 1") == 2
    assert "pcmk__primitive_assign: r:0 allocation score on n2: 0" in lines
    assert "pcmk__primitive_assign: r:0 allocation score on n2: -INFINITY" in lines
    summary = {" ".join(line.split()) for line in transition.summary_lines()}
    assert "* Stop r:0 ( n1 ) due to node availability" in summary


def op(rid: str, node: str, task: str, rc: int, call: int) -> str:
    return (f'<lrm_rsc_op id="{rid}_{task}_{call}" operation_key="{rid}_{task}_0" '
            f'operation="{task}" transition-key="{call}:1:0:x" '
            f'transition-magic="0:{rc};{call}:1:0:x" call-id="{call}" rc-code="{rc}" '
            f'op-status="0" interval="0" on_node="{node}" op-digest="{DIGEST}"/>')


DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"  # of no parameters (bench/cibgen.py digest_of)


def history(rid: str, node: str, ops: str) -> str:
    return (f'<lrm><lrm_resources><lrm_resource id="{rid}" class="ocf" '
            f'provider="pacemaker" type="Stateful">{ops}</lrm_resource></lrm_resources></lrm>')


def test_an_anonymous_instance_with_history_elsewhere_takes_no_shared_promotion_score() -> None:
    # Read node by node: n1's stopped history goes to m:0, n2's promoted one to m:0 too
    # (it runs nowhere yet), n3's stopped one to m:1. On n2 the shared master-m score
    # then goes to m:0 and to m:2 (known nowhere), not to m:1 (known on n3 only).
    nodes = ("n1", "n2", "n3")
    status = (node_state("n1", lrm=history("m", "n1", op("m", "n1", "monitor", 7, 1)))
              + node_state("n2", nv("master-m", "10"), history(
                  "m", "n2", op("m", "n2", "start", 0, 2) + op("m", "n2", "promote", 0, 3)))
              + node_state("n3", lrm=history("m", "n3", op("m", "n3", "monitor", 7, 1))))
    meta = nv("promotable", "true") + nv("clone-max", "4")
    lines, _ = run(clone("M", "m", meta, "Stateful"), "", status, nodes)
    assert "pcmk__clone_allocate: m:0 allocation score on n2: 11" in lines
    assert "pcmk__clone_allocate: m:1 allocation score on n2: 0" in lines
    assert "pcmk__clone_allocate: m:2 allocation score on n2: 10" in lines
    assert "pcmk__clone_allocate: m:3 allocation score on n2: 10" in lines


PROMOTABLE_M = clone("M", "m", nv("promotable", "true"), "Stateful")


def test_what_follows_the_promotion_cannot_start_when_no_instance_is_promoted() -> None:
    resources = PROMOTABLE_M + '<primitive id="p" class="ocf" provider="pacemaker" type="Dummy"/>'
    order = '<rsc_order id="o1" first="M" first-action="promote" then="p" then-action="start"/>'
    _, summary = run(resources, order)
    assert summary == {"* Start m:0 ( n1 )", "* Start m:1 ( n2 )",
                       "* Start p ( n1 ) due to unrunnable M promoted (blocked)"}


def test_an_instance_whose_promote_failed_is_recovered_from_the_promoted_role() -> None:
    status = node_state("n1", lrm=history("m", "n1", op("m", "n1", "promote", 1, 3))) \
        + node_state("n2")
    lines, summary = run(PROMOTABLE_M, "", status)
    assert any(line.startswith("* Recover m:0 ( Promoted -> Unpromoted n1 )")
               for line in summary), summary
    # Its role after the failure is Unpromoted: it may not be promoted this time.
    assert "m:0 promotion score on n1: -INFINITY" in lines


def test_a_ban_naming_a_clones_primitive_applies_to_the_clone_once_it_has_history() -> None:
    """`pcs resource ban p_x node1` writes rsc="p_x" (the primitive): Pacemaker applies it
    to the clone once an instance was read from a history under that id (any probe does);
    before that the id names nothing and the ban is ignored (the real crm_simulate
    agrees on both)."""
    from test_scheduler import cib, lines, prim

    clone = f'<clone id="c">{prim("d")}</clone>'
    ban = '<rsc_location id="cli-ban-d-on-node1" rsc="d" role="Started" node="node1" ' \
          'score="-INFINITY"/>'
    assert lines(cib(clone, ban)) == ["* Start d:0 ( node1 )", "* Start d:1 ( node2 )"]
    # Running on node2 (recorded under the plain id): the ban keeps node1 free.
    assert lines(cib(clone, ban, running={"d": "node2"})) == []
    assert lines(cib(clone, "", running={"d": "node2"})) == ["* Start d:1 ( node1 )"]


def dummy_history(rid: str, node: str) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            + op(rid, node, "start", 0, 2) + '</lrm_resource>')


def test_an_interleaved_instance_where_the_first_clone_has_none_just_stops() -> None:
    resources = clone("A", "a", nv("clone-max", "1")) + clone("B", "b", nv("interleave", "true"))
    constraints = ('<rsc_order id="o1" first="A" then="B"/>'
                   '<rsc_location id="l1" rsc="A" node="n1" score="10"/>')
    status = "".join(node_state(n, lrm="<lrm><lrm_resources>" + dummy_history("a", n)
                                + dummy_history("b", n) + "</lrm_resources></lrm>"
                                if n == "n1" else "<lrm><lrm_resources>"
                                + dummy_history("b", n) + "</lrm_resources></lrm>")
                     for n in ("n1", "n2"))
    _, summary = run(resources, constraints, status)
    assert summary == {"* Stop b:1 ( n2 )"}


def test_on_a_node_where_no_instance_is_active_every_instance_takes_the_shared_score() -> None:
    # n2 holds only a stopped history (filed under m:1): m:0, active on n1, still takes
    # n2's shared master-m score; on n1, where m:0 is active, m:1 (known on n2) does not.
    status = (node_state("n1", nv("master-m", "3"), history(
                  "m", "n1", op("m", "n1", "start", 0, 2)))
              + node_state("n2", nv("master-m", "5"), history(
                  "m", "n2", op("m", "n2", "monitor", 7, 1))))
    lines, _ = run(PROMOTABLE_M, "", status)
    assert "pcmk__clone_allocate: m:0 allocation score on n2: 5" in lines
    assert "pcmk__clone_allocate: m:1 allocation score on n2: 5" in lines
    assert "pcmk__clone_allocate: m:1 allocation score on n1: 0" in lines

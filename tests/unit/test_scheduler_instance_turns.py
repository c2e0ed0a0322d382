"""Which clone instance chooses first and what promotion score each one takes, as the
real crm_simulate (Pacemaker 2.1.5) decides on the same small CIBs: inactive instances
compare only their best score (ties keep the instance number order); an instance on a
node that can no longer run it chooses after the inactive ones; a promotion attribute
counts neither on a node the instance is not allowed on nor, for an instance active
elsewhere, on a node where nobody has probed it; an unmanaged instance keeps its role
(promoted: INFINITY, active without a start: -INFINITY)."""

from __future__ import annotations

from lxml import etree

from hacluster.scheduler import schedule


def op(rid: str, task: str, rc: int = 0, interval: int = 0, call: int = 1) -> str:
    return (f'<lrm_rsc_op id="{rid}_{task}_{interval}_{call}" operation="{task}" '
            f'operation_key="{rid}_{task}_{interval}" interval="{interval}" op-status="0" '
            f'rc-code="{rc}" call-id="{call}" transition-key="1:1:0:x" '
            f'transition-magic="0:{rc};1:1:0:x" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def cib(clone_meta: dict[str, str], nodes: dict[str, tuple[dict[str, str], str]],
        constraints: str = "", standby: tuple[str, ...] = ()) -> object:
    """A promotable clone ms of Stateful r; per node its attributes and r's history."""
    meta = {"promotable": "true", **clone_meta}
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><transient_attributes id="t{n}"><instance_attributes id="a{n}">'
        + "".join(f'<nvpair id="{n}-{k}" name="{k}" value="{v}"/>' for k, v in attrs.items())
        + f'</instance_attributes></transient_attributes><lrm id="{n}"><lrm_resources>'
        + (f'<lrm_resource id="r" class="ocf" provider="pacemaker" type="Stateful">{ops}'
           "</lrm_resource>" if ops else "")
        + "</lrm_resources></lrm></node_state>" for n, (attrs, ops) in nodes.items())
    node_xml = "".join(
        f'<node id="{n}" uname="{n}">'
        + (f'<instance_attributes id="na{n}"><nvpair id="sb{n}" name="standby" value="on"/>'
           "</instance_attributes>" if n in standby else "") + "</node>" for n in nodes)
    return etree.fromstring(
        '<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="c">'
        '<nvpair id="se" name="stonith-enabled" value="false"/></cluster_property_set>'
        f'</crm_config><nodes>{node_xml}</nodes><resources><clone id="ms">'
        '<meta_attributes id="cm">'
        + "".join(f'<nvpair id="cm-{k}" name="{k}" value="{v}"/>' for k, v in meta.items())
        + '</meta_attributes><primitive id="r" class="ocf" provider="pacemaker" '
        'type="Stateful"><operations><op id="rm" name="monitor" interval="10s"/></operations>'
        f'</primitive></clone></resources><constraints>{constraints}</constraints>'
        f"</configuration><status>{states}</status></cib>")


def run(root: object) -> tuple[list[str], list[str]]:
    result = schedule(root, now_s=0)
    summary = [" ".join(line.split()).replace("( ", "(").replace(" )", ")")
               for line in result.summary_lines()]
    return list(result.score_lines), summary


def assign_order(scores: list[str]) -> list[str]:
    seen: list[str] = []
    for line in scores:
        if line.startswith("pcmk__primitive_assign: "):
            rid = line.split()[1]
            if rid not in seen:
                seen.append(rid)
    return seen


UNIQUE = {"globally-unique": "true", "clone-max": "2"}


def test_inactive_instances_compare_only_their_best_score() -> None:
    # r:1 prefers its second node more than r:0 does, but both score 5 at best: the
    # instance number decides, so r:0 takes n1 and r:1 goes to n2.
    scores, _ = run(cib(UNIQUE, {"n1": ({"master-r:0": "5", "master-r:1": "5"}, ""),
                                 "n2": ({"master-r:0": "0", "master-r:1": "4"}, ""),
                                 "n3": ({}, "")}))
    assert assign_order(scores) == ["r:0", "r:1"]
    assert "pcmk__primitive_assign: r:1 allocation score on n1: -INFINITY" in scores


def test_a_better_best_score_chooses_first() -> None:
    scores, _ = run(cib(UNIQUE, {"n1": ({"master-r:0": "4", "master-r:1": "5"}, ""),
                                 "n2": ({}, ""), "n3": ({}, "")}))
    assert assign_order(scores) == ["r:1", "r:0"]


def test_no_promotion_attribute_on_a_node_with_a_negative_location() -> None:
    running = op("r", "start") + op("r", "monitor", 0, 10000, 2)
    scores, summary = run(cib({}, {"n1": ({}, running),
                                   "n2": ({"master-r": "5"}, op("r", "monitor", 7)),
                                   "n3": ({"master-r": "5"}, "")},
                              '<rsc_location id="l" rsc="ms" node="n2" score="-100"/>'))
    assert "pcmk__clone_allocate: r:1 allocation score on n2: -100" in scores
    assert "pcmk__clone_allocate: r:2 allocation score on n3: 5" in scores
    assert "* Promote r:2 (Stopped -> Promoted n3)" in summary


def test_an_instance_leaving_a_standby_node_yields_to_an_inactive_one() -> None:
    # r:0 runs promoted on the standby node n2; nobody ever probed r on n1, so the
    # promotion score there belongs to the inactive instances, not to r:0.
    promoted = op("r", "promote") + op("r", "monitor", 8, 11000, 2)
    scores, summary = run(cib({}, {"n1": ({"master-r": "1"}, ""),
                                   "n2": ({"master-r": "1"}, promoted)}, standby=("n2",)))
    assert "pcmk__clone_allocate: r:0 allocation score on n1: 0" in scores
    assert "pcmk__clone_allocate: r:1 allocation score on n1: 1" in scores
    assert "* Stop r:0 (Promoted n2) due to node availability" in summary
    assert "* Promote r:1 (Stopped -> Promoted n1)" in summary


def blocked(history: str) -> list[str]:
    """r's stop failed on n1 (no fencing: blocked there); n2 only probed it."""
    scores, _ = run(cib({}, {"n1": ({}, history), "n2": ({}, op("r", "monitor", 7))}))
    return [line for line in scores if line.startswith("r:0 promotion score")]


def test_an_unmanaged_instance_keeps_its_role_for_promotion() -> None:
    failed_stop = op("r", "stop", 1, 0, 2)
    assert blocked(op("r", "start") + failed_stop) == ["r:0 promotion score on n1: -1"]
    assert blocked(op("r", "monitor") + failed_stop) == ["r:0 promotion score on n1: -INFINITY"]
    assert blocked(op("r", "promote") + failed_stop) == ["r:0 promotion score on n1: INFINITY"]


def test_an_inactive_instance_with_a_better_promotion_score_chooses_before_active_ones(
) -> None:
    # n3 scores INFINITY for the clone, so no instance stays where it runs on its first
    # try; r:2 (known nowhere) takes master-r of every node as its priority (10 on n3),
    # r:0 and r:1 only that of their own node (5): r:2 chooses (n3) before them.
    running = op("r", "start") + op("r", "monitor", 0, 10000, 2)
    scores, summary = run(cib({"clone-max": "3"},
                              {"n1": ({"master-r": "5"}, running),
                               "n2": ({"master-r": "5"}, running),
                               "n3": ({"master-r": "10"}, ""), "n4": ({}, "")},
                              '<rsc_location id="l" rsc="ms" node="n3" score="INFINITY"/>'))
    turns = [line.split()[1] for line in scores if line.startswith("pcmk__primitive_assign")]
    assert turns[::4] == ["r:0", "r:1", "r:2", "r:0", "r:1"]
    assert "* Promote r:2 (Stopped -> Promoted n3)" in summary

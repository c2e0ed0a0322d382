"""Allocation scores as crm_simulate -s prints them (Pacemaker Explained: resource
placement, colocation influence, target-role, node health), on small CIBs."""

from __future__ import annotations

from hacluster.api.simulate import simulate

HEAD = """<cib have-quorum="1" execution-date="1000"><configuration><crm_config>
<cluster_property_set id="c"><nvpair id="s" name="stonith-enabled" value="false"/>{props}
</cluster_property_set></crm_config><nodes><node id="n1" uname="n1">{n1attrs}</node>
<node id="n2" uname="n2"/></nodes><resources>{resources}</resources>
<constraints>{constraints}</constraints></configuration><status>
<node_state id="n1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"/>
<node_state id="n2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"/>
</status></cib>"""


def dummy(rid: str, meta: str = "") -> str:
    return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">{meta}'
            '</primitive>')


def scores(resources: str, constraints: str = "", props: str = "", n1attrs: str = "") -> set[str]:
    cib = HEAD.format(resources=resources, constraints=constraints, props=props,
                      n1attrs=n1attrs)
    return set(simulate(cib, now_s=0).transition.score_lines)


def test_a_resource_whose_target_role_is_stopped_scores_minus_infinity_everywhere() -> None:
    meta = ('<meta_attributes id="m"><nvpair id="t" name="target-role" value="Stopped"/>'
            '</meta_attributes>')
    lines = scores(dummy("a", meta), '<rsc_location id="l" rsc="a" node="n1" score="100"/>')
    assert "pcmk__primitive_assign: a allocation score on n1: -INFINITY" in lines
    assert "pcmk__primitive_assign: a allocation score on n2: -INFINITY" in lines


def test_a_node_that_cannot_run_resources_offers_minus_infinity_to_the_primary() -> None:
    standby = ('<instance_attributes id="i"><nvpair id="sb" name="standby" value="on"/>'
               '</instance_attributes>')
    lines = scores(dummy("a") + dummy("b"),
                   '<rsc_colocation id="co" rsc="b" with-rsc="a" score="INFINITY"/>',
                   n1attrs=standby)
    assert "pcmk__primitive_assign: a allocation score on n1: -INFINITY" in lines
    assert "pcmk__primitive_assign: a allocation score on n2: 0" in lines


def test_red_node_health_is_a_minus_infinity_location_score() -> None:
    props = '<nvpair id="h" name="node-health-strategy" value="migrate-on-red"/>'
    red = ('<instance_attributes id="i"><nvpair id="r" name="#health-disk" value="red"/>'
           '</instance_attributes>')
    lines = scores(dummy("a"), props=props, n1attrs=red)
    assert "pcmk__primitive_assign: a allocation score on n1: -INFINITY" in lines


def test_a_rule_with_value_source_param_compares_with_the_resource_parameter() -> None:
    params = ('<instance_attributes id="p"><nvpair id="ps" name="site" value="east"/>'
              '</instance_attributes>')
    east = ('<instance_attributes id="i"><nvpair id="is" name="site" value="east"/>'
            '</instance_attributes>')
    rule = ('<rsc_location id="l" rsc="a"><rule id="lr" score="200"><expression id="le" '
            'attribute="site" operation="eq" value="site" value-source="param"/></rule>'
            '</rsc_location>')
    lines = scores(dummy("a", params), rule, n1attrs=east)
    assert "pcmk__primitive_assign: a allocation score on n1: 200" in lines
    assert "pcmk__primitive_assign: a allocation score on n2: 0" in lines


CLONE = ('<clone id="dc"><meta_attributes id="cm"><nvpair id="cmax" name="clone-max" '
         'value="1"/></meta_attributes>' + dummy("d") + "</clone>")


def clone_score_with_follower(score: str) -> str:
    """The clone's own n1 score when primitive p (500 on n1) is colocated with it."""
    lines = scores(CLONE + dummy("p"), '<rsc_location id="l" rsc="p" node="n1" score="500"/>'
                   f'<rsc_colocation id="co" rsc="p" with-rsc="dc" score="{score}"/>')
    return next(line.rsplit(" ", 1)[1] for line in lines
                if line.startswith("pcmk__clone_allocate: dc allocation score on n1"))


def test_a_primitive_colocated_with_a_clone_steers_the_clones_own_scores() -> None:
    # Pacemaker merges a dependent's preferences into the clone's table at score/INFINITY.
    assert clone_score_with_follower("INFINITY") == "500"
    assert clone_score_with_follower("500000") == "250"


def test_a_tiny_colocation_share_still_counts_one_point_for_the_clone() -> None:
    assert clone_score_with_follower("100") == "1"
    assert clone_score_with_follower("-100") == "0"  # only positive shares count

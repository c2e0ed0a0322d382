"""An ordering between a clone and a primitive is read on the primitive's node (Pacemaker
2.1.5 takes a clone's flags for such an ordering from its instances on the other action's
node): a promotion on another node does not restart what is ordered after the clone's
promotion, and a demotion does not stop it. The expected lines are what the real
crm_simulate prints for the same CIBs."""

from __future__ import annotations

from lxml import etree

from hacluster.scheduler import schedule


def history(rid: str, kind: str, task: str, rc: int = 0) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="{kind}">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_{task}_0" operation="{task}" '
            f'interval="0" op-status="0" rc-code="{rc}" call-id="2" transition-key="1:1:0:x" '
            f'transition-magic="0:{rc};1:1:0:x" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>'
            "</lrm_resource>")


def cib(lrm: dict[str, str], master: dict[str, int], promoted_max: int = 1) -> object:
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><transient_attributes id="t{n}"><instance_attributes id="a{n}">'
        + (f'<nvpair id="m{n}" name="master-r" value="{master[n]}"/>' if n in master else "")
        + f'</instance_attributes></transient_attributes><lrm id="{n}"><lrm_resources>'
        f"{lrm.get(n, '')}</lrm_resources></lrm></node_state>" for n in ("n1", "n2"))
    return etree.fromstring(
        '<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="c">'
        '<nvpair id="se" name="stonith-enabled" value="false"/></cluster_property_set>'
        '</crm_config><nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes>'
        '<resources><clone id="ms"><meta_attributes id="msm"><nvpair id="msp" '
        'name="promotable" value="true"/><nvpair id="msx" name="promoted-max" '
        f'value="{promoted_max}"/></meta_attributes><primitive id="r" class="ocf" '
        'provider="pacemaker" type="Stateful"/></clone><primitive id="d" class="ocf" '
        'provider="pacemaker" type="Dummy"/></resources><constraints><rsc_order id="o" '
        'first="ms" first-action="promote" then="d" then-action="start"/></constraints>'
        f"</configuration><status>{states}</status></cib>")


def summary(root: object) -> list[str]:
    return sorted(" ".join(line.split()).replace("( ", "(").replace(" )", ")")
                  for line in schedule(root, now_s=0).summary_lines())


def test_a_promotion_on_another_node_leaves_what_follows_it_alone() -> None:
    root = cib({"n2": history("r", "Stateful", "start") + history("d", "Dummy", "start")},
               {"n1": 10, "n2": 5})
    assert summary(root) == ["* Promote r:1 (Stopped -> Promoted n1)"]


def test_a_demotion_on_the_node_of_what_follows_does_not_stop_it() -> None:
    # r is promoted on n2 but n1 now scores higher: it moves; d (on n2) stays.
    root = cib({"n2": history("r", "Stateful", "promote") + history("d", "Dummy", "start")},
               {"n1": 100, "n2": 5})
    assert summary(root) == ["* Demote r:0 (Promoted -> Unpromoted n2)",
                             "* Promote r:1 (Stopped -> Promoted n1)"]

"""What a node reads as maintenance from the CIB (hacluster.controller.maintenance)."""

from __future__ import annotations

from lxml import etree

from hacluster.controller.maintenance import maintenance_on


def cib(props: str = "", node_attrs: str = "", transient: str = "", group_meta: str = "",
        dummy_meta: str = "", defaults: str = "") -> etree._Element:
    def meta(pairs: str, owner: str) -> str:
        return f'<meta_attributes id="{owner}-m">{pairs}</meta_attributes>' if pairs else ""
    return etree.fromstring(
        '<cib><configuration><crm_config><cluster_property_set id="o">'
        f'{props}</cluster_property_set></crm_config>'
        f'<nodes><node id="1" uname="n1"><instance_attributes id="n1-a">{node_attrs}'
        '</instance_attributes></node><node id="2" uname="n2"/></nodes><resources>'
        f'<group id="g">{meta(group_meta, "g")}<primitive id="a" class="ocf" type="Dummy"/>'
        '<primitive id="b" class="ocf" type="Dummy"/></group>'
        f'<primitive id="dummy" class="ocf" type="Dummy">{meta(dummy_meta, "dummy")}'
        f'</primitive></resources>'
        f'<rsc_defaults>{meta(defaults, "d")}</rsc_defaults></configuration>'
        '<status><node_state id="1" uname="n1"><transient_attributes id="1">'
        f'<instance_attributes id="s1">{transient}</instance_attributes>'
        '</transient_attributes></node_state></status></cib>')


def pair(name: str, value: str) -> str:
    return f'<nvpair id="p-{name}" name="{name}" value="{value}"/>'


def test_nothing_is_in_maintenance_by_default() -> None:
    state = maintenance_on(cib(), "1")
    assert not state.everything and not state.covers("dummy")


def test_maintenance_mode_covers_every_resource_on_every_node() -> None:
    for node in ("1", "2"):
        assert maintenance_on(cib(props=pair("maintenance-mode", "true")), node).covers("a")


def test_a_nodes_attribute_covers_that_node_only_and_transient_outranks_permanent() -> None:
    permanent = cib(node_attrs=pair("maintenance", "on"))
    assert maintenance_on(permanent, "1").everything
    assert not maintenance_on(permanent, "2").everything
    overridden = cib(node_attrs=pair("maintenance", "on"), transient=pair("maintenance", "off"))
    assert not maintenance_on(overridden, "1").everything


def test_a_resources_meta_covers_it_and_a_groups_meta_its_members() -> None:
    state = maintenance_on(cib(dummy_meta=pair("maintenance", "true")), "1")
    assert state.covers("dummy") and not state.covers("a")
    state = maintenance_on(cib(group_meta=pair("maintenance", "true")), "1")
    assert state.covers("a") and state.covers("b:1") and not state.covers("dummy")


def test_rsc_defaults_apply_unless_the_resource_says_otherwise() -> None:
    state = maintenance_on(cib(defaults=pair("maintenance", "true"),
                               dummy_meta=pair("maintenance", "false")), "1")
    assert state.covers("a") and not state.covers("dummy")


def test_is_managed_false_is_not_maintenance() -> None:
    assert not maintenance_on(cib(dummy_meta=pair("is-managed", "false")), "1").covers("dummy")

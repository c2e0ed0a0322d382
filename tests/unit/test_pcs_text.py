"""pcs 0.11's listing rules, checked without the real pcs (tests/differential/
test_pcs_layouts.py compares with it where it is installed): quoting, op fields, kinds'
order, constraint grouping, expired rules."""

from __future__ import annotations

from lxml import etree

from hacluster.api import constraint_view, resource_view
from hacluster.cli.pcs import constraint_text, resource_text

NOW_S = 1_800_000_000  # 2027-01-15


def test_values_are_quoted_only_when_they_hold_a_space_or_an_equals_sign() -> None:
    assert resource_text.quote("plain") == "plain"
    assert resource_text.quote("a b") == '"a b"'
    assert resource_text.quote('say "hi"') == "'say \"hi\"'"
    assert resource_text.quote("x=1") == '"x=1"'
    assert resource_text.quote("""it's "both" """) == '"it\'s \\"both\\" "'


def test_op_fields_follow_pcs_order_with_booleans_as_digits() -> None:
    attrs = (("name", "monitor"), ("timeout", "20s"), ("on-fail", "block"),
             ("interval", "10s"), ("enabled", "false"), ("role", "Promoted"),
             ("start-delay", "5s"), ("OCF_CHECK_LEVEL", "10"))
    assert resource_text.op_fields(attrs) == (
        ("interval", "10s"), ("start-delay", "5s"), ("timeout", "20s"), ("enabled", "0"),
        ("role", "Promoted"), ("on-fail", "block"), ("OCF_CHECK_LEVEL", "10"))


def config(xml: str) -> resource_view.ResourceConfig:
    return resource_view.view(etree.fromstring(xml))


def test_listing_puts_primitives_then_groups_then_clones_sorted_when_asked() -> None:
    clone = config('<clone id="a-clone"><primitive id="a" class="ocf" provider="p" '
                   'type="T"/></clone>')
    group = config('<group id="g"><primitive id="m" class="lsb" type="x"/></group>')
    prim = config('<primitive id="z" class="ocf" provider="p" type="T" description="d">'
                  '<meta_attributes id="z-m"><nvpair id="z-2" name="b" value="2"/>'
                  '<nvpair id="z-1" name="a" value="1"/></meta_attributes></primitive>')
    lines = resource_text.listing([clone, group, prim], by_id=False)
    assert [line for line in lines if not line.startswith(" ")] == [
        "Resource: z (class=ocf provider=p type=T)", "Group: g", "Clone: a-clone"]
    assert lines[1:5] == ["  Description: d", "  Meta Attributes: z-m", "    a=1", "    b=2"]


def trees(xml: str) -> tuple[constraint_view.ElementView, ...]:
    root = etree.fromstring(f"<constraints>{xml}</constraints>")
    return tuple(constraint_view.view_of(c, NOW_S) for c in root)


def test_locations_are_grouped_by_resource_with_expired_rules_hidden_unless_all() -> None:
    views = trees(
        '<rsc_location id="l1" rsc="r" node="n1" score="10"/>'
        '<rsc_location id="l2" rsc="r" node="n2" score="-INFINITY"/>'
        '<rsc_location id="l3" rsc="r"><rule id="l3-r" score="-INFINITY">'
        '<date_expression id="l3-d" operation="lt" end="2020-01-01"/></rule></rsc_location>'
        '<rsc_location id="l4" rsc="q"><rule id="l4-r" score="5"><date_expression id="l4-d" '
        'operation="in_range" start="2026-01-01"><duration id="l4-u" years="2"/>'
        '</date_expression></rule></rsc_location>')
    assert constraint_text.location_lines(views, False, False) == [
        "Location Constraints:", "  Resource: q", "    Constraint: l4", "      Rule: score=5",
        "        Expression: date in_range 2026-01-01 to duration",
        "          Duration: years=2",
        "  Resource: r", "    Enabled on:", "      Node: n1 (score:10)", "    Disabled on:",
        "      Node: n2 (score:-INFINITY)"]
    shown = constraint_text.location_lines(views, True, True)
    assert "    Constraint (expired): l3" in shown
    assert "      Rule (expired): score=-INFINITY (id:l3-r)" in shown


def test_orders_colocations_and_sets_read_as_pcs_prints_them() -> None:
    views = trees(
        '<rsc_order id="o1" first="a" then="b"/>'
        '<rsc_order id="o2" first="a" first-action="stop" then="b" kind="Optional" '
        'symmetrical="false" require-all="false"/>'
        '<rsc_colocation id="c1" rsc="a" with-rsc="b" score="5" with-rsc-role="Promoted"/>'
        '<rsc_order id="s1" kind="Serialize"><resource_set id="s1-a" sequential="false">'
        '<resource_ref id="a"/><resource_ref id="b"/></resource_set></rsc_order>')
    assert constraint_text.kind_lines(views, "rsc_order", False) == [
        "Ordering Constraints:", "  a then b (kind:Mandatory)",
        "  stop a then b (kind:Optional) (non-symmetrical) (Options: require-all=false)",
        "  Resource Sets:", "    set a b sequential=false setoptions kind=Serialize"]
    assert constraint_text.kind_lines(views, "rsc_colocation", True) == [
        "Colocation Constraints:", "  a with b (score:5) (with-rsc-role:Promoted) (id:c1)"]

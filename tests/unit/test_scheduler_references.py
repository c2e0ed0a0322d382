"""Resource templates, tags and the precedence of attribute sets, as crm_simulate 2.1.5
decides them (each expected summary below was read from the real tool on the same CIB):
among attribute sets of equal score the later one wins; a primitive made from a template
takes the template's sets first and its own after them; a constraint naming a template or
a tag holds for every resource made from it or tagged with it."""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.scheduler import schedule
from hacluster.scheduler.references import expand_references

NODES = ("node1", "node2")


def meta(rid: str, block: str, role: str, score: str = "") -> str:
    return (f'<meta_attributes id="{rid}-{block}"{score}><nvpair id="{rid}-{block}-t" '
            f'name="target-role" value="{role}"/></meta_attributes>')


def dummy(rid: str, inner: str = "", template: str = "") -> str:
    kind = f'template="{template}"' if template else \
        'class="ocf" provider="pacemaker" type="Dummy"'
    return f'<primitive id="{rid}" {kind}>{inner}</primitive>'


def lines(resources: str, constraints: str = "", extra: str = "") -> list[str]:
    text = cibkit.cib_text(NODES, resources, constraints)
    if extra:
        text = text.replace("</configuration>", extra + "</configuration>")
    root = etree.fromstring(text.encode())
    return sorted(" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines())


def test_of_two_meta_attribute_sets_with_equal_scores_the_later_one_wins() -> None:
    a = dummy("a", meta("a", "m1", "Stopped") + meta("a", "m2", "Started"))
    b = dummy("b", meta("b", "m1", "Started") + meta("b", "m2", "Stopped"))
    assert lines(a + b) == ["* Start a ( node1 )"]


def test_a_higher_scored_set_still_wins_over_a_later_one() -> None:
    a = dummy("a", meta("a", "m1", "Stopped", ' score="10"') + meta("a", "m2", "Started"))
    assert lines(a) == []


def test_a_primitive_takes_its_templates_settings_and_its_own_sets_override_them() -> None:
    template = ('<template id="T" class="ocf" provider="pacemaker" type="Dummy">'
                + meta("T", "m", "Stopped") + "</template>")
    own = dummy("r2", meta("r2", "m", "Started"), template="T")
    assert lines(template + dummy("r1", template="T") + own) == ["* Start r2 ( node1 )"]


def test_a_location_naming_a_template_holds_for_each_primitive_made_from_it() -> None:
    template = '<template id="T" class="ocf" provider="pacemaker" type="Dummy"/>'
    rscs = template + dummy("r1", template="T") + dummy("r2", template="T") + dummy("r3")
    loc = '<rsc_location id="l" rsc="T" node="node2" score="100"/>'
    assert lines(rscs, loc) == ["* Start r1 ( node2 )", "* Start r2 ( node2 )",
                                "* Start r3 ( node1 )"]


def test_a_colocation_and_an_order_naming_a_tag_hold_for_every_tagged_resource() -> None:
    rscs = "".join(dummy(r) for r in ("r1", "r2", "r3", "r4"))
    tags = '<tags><tag id="tg"><obj_ref id="r3"/><obj_ref id="r4"/></tag></tags>'
    cons = ('<rsc_location id="l" rsc="r1" node="node2" score="10"/>'
            '<rsc_colocation id="col" rsc="tg" with-rsc="r1" score="INFINITY"/>'
            '<rsc_order id="ord" first="r1" then="tg"/>')
    assert lines(rscs, cons, tags) == ["* Start r1 ( node2 )", "* Start r2 ( node1 )",
                                       "* Start r3 ( node2 )", "* Start r4 ( node2 )"]


def test_a_cib_without_templates_or_tags_is_read_as_it_is() -> None:
    root = cibkit.cib(NODES, dummy("a"))
    assert expand_references(root) is root

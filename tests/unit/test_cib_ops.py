"""CIB operations: cibadmin semantics, version bumps, patchsets, never mutating the input."""

from __future__ import annotations

import pytest

from hacluster.cib import (
    CIBVersion,
    apply_diff,
    create,
    create_diff,
    delete,
    diff_changes,
    erase,
    modify,
    parse_cib,
    parse_fragment,
    query,
    replace,
    replace_document,
)
from hacluster.common import Code, HaError

BASE = b"""<cib validate-with="pacemaker-3.7" admin_epoch="0" epoch="5" num_updates="2">
<configuration><crm_config><cluster_property_set id="opts">
<nvpair id="opts-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes><node id="1" uname="n1"/></nodes><resources>
<primitive id="d1" class="ocf" provider="pacemaker" type="Dummy">
<operations><op id="d1-mon" name="monitor" interval="10s"/></operations></primitive>
</resources><constraints/></configuration><status/></cib>"""


def base():  # type: ignore[no-untyped-def]
    return parse_cib(BASE)


def frag(text: str):  # type: ignore[no-untyped-def]
    return parse_fragment(text)


def test_create_adds_under_the_section_and_bumps_epoch() -> None:
    doc = base()
    before = doc.digest()
    new, diff = create(doc, frag('<primitive id="d2" class="ocf" provider="pacemaker" '
                                 'type="Dummy"/>'), "resources")
    assert new.find_by_id("d2") is not None
    assert new.version == CIBVersion(0, 6, 0)
    assert doc.digest() == before and doc.find_by_id("d2") is None, "input must not change"
    assert [c.get("operation") for c in diff_changes(diff)] == ["create"]


def test_create_of_an_existing_id_is_id_exists() -> None:
    with pytest.raises(HaError) as info:
        create(base(), frag('<primitive id="d1" class="ocf" provider="pacemaker" type="Dummy"/>'),
               "resources")
    assert info.value.problems[0].code is Code.CIB_ID_EXISTS


def test_create_without_section_is_no_such_object() -> None:
    with pytest.raises(HaError) as info:
        create(base(), frag('<primitive id="d9" class="ocf" provider="pacemaker" type="Dummy"/>'))
    assert info.value.problems[0].code is Code.CIB_NO_SUCH_OBJECT


def test_create_of_a_constraint_naming_an_unknown_resource_fails_validation() -> None:
    with pytest.raises(HaError) as info:
        create(base(), frag('<rsc_location id="l" rsc="nope" node="n1" score="5"/>'),
               "constraints")
    assert info.value.problems[0].code is Code.CIB_UNKNOWN_REFERENCE


def test_modify_merges_by_id_and_supports_increments() -> None:
    new, _ = modify(base(), frag('<nvpair id="opts-stonith" value="true"/>'))
    nvpair = new.find_by_id("opts-stonith")
    assert nvpair is not None and nvpair.get("value") == "true"
    assert nvpair.get("name") == "stonith-enabled"
    bumped, _ = modify(new, frag('<nvpair id="opts-stonith" value="value+=3"/>'))
    assert bumped.find_by_id("opts-stonith").get("value") == "3"  # type: ignore[union-attr]
    assert bumped.version == CIBVersion(0, 7, 0)


def test_modify_of_a_section_appends_new_children() -> None:
    new, _ = modify(base(), frag('<status><node_state id="1" uname="n1"/></status>'), "status")
    assert new.xpath("/cib/status/node_state[@id='1']")
    assert new.version == CIBVersion(0, 5, 3), "status-only change bumps num_updates"


def test_modify_of_a_missing_object_is_no_such_object() -> None:
    with pytest.raises(HaError) as info:
        modify(base(), frag('<nvpair id="nope" value="1"/>'))
    assert info.value.problems[0].code is Code.CIB_NO_SUCH_OBJECT


def test_identical_modify_changes_nothing_and_keeps_the_version() -> None:
    doc = base()
    new, diff = modify(doc, frag('<nvpair id="opts-stonith" value="false"/>'))
    assert new.version == doc.version and not diff_changes(diff)


def test_replace_swaps_the_element_and_a_section() -> None:
    new, _ = replace(base(), frag('<primitive id="d1" class="ocf" provider="heartbeat" '
                                  'type="IPaddr2"/>'), "resources")
    d1 = new.find_by_id("d1")
    assert d1 is not None and d1.get("provider") == "heartbeat" and len(d1) == 0
    new, _ = replace(new, frag('<nodes><node id="2" uname="n2"/></nodes>'), "nodes")
    assert [n.get("uname") for n in new.xpath("//nodes/node")] == ["n2"]


def test_replace_with_an_older_whole_cib_is_a_version_conflict() -> None:
    older = BASE.replace(b'epoch="5"', b'epoch="4"')
    with pytest.raises(HaError) as info:
        replace(base(), frag(older.decode()))
    assert info.value.problems[0].code is Code.CIB_VERSION_CONFLICT
    same = parse_cib(BASE.replace(b'value="false"', b'value="true"'))
    new, _ = replace_document(base(), same)
    assert new.version == CIBVersion(0, 6, 0)


def test_delete_removes_the_first_match_and_ignores_a_missing_one() -> None:
    new, _ = delete(base(), frag('<op id="d1-mon"/>'))
    assert new.find_by_id("d1-mon") is None
    same, diff = delete(new, frag('<primitive id="nope"/>'))
    assert same.version == new.version and not diff_changes(diff)
    with pytest.raises(HaError) as info:
        delete(base(), xpath="//primitive[@id='nope']")
    assert info.value.problems[0].code is Code.CIB_NO_SUCH_OBJECT


def test_erase_empties_and_bumps_admin_epoch() -> None:
    new, _ = erase(base())
    assert new.version == CIBVersion(1, 6, 0)
    assert not new.xpath("//primitive") and new.crm_feature_set == "3.16.1"


def test_query_by_section_and_xpath() -> None:
    [nodes] = query(base(), "nodes")
    assert nodes.tag == "nodes"
    found = query(base(), xpath="//nvpair | //op")
    assert {e.tag for e in found} == {"nvpair", "op"}
    with pytest.raises(HaError) as info:
        query(base(), xpath="//nope")
    assert info.value.problems[0].code is Code.CIB_NO_SUCH_OBJECT
    with pytest.raises(HaError) as info:
        query(base(), xpath="//[")
    assert info.value.problems[0].code is Code.CIB_BAD_XPATH


def test_patchset_of_an_update_applies_on_another_copy() -> None:
    doc = base()
    new, diff = modify(doc, frag('<primitive id="d1"><meta_attributes id="d1-meta">'
                                 '<nvpair id="d1-t" name="target-role" value="Stopped"/>'
                                 '</meta_attributes></primitive>'))
    applied = apply_diff(parse_cib(BASE), diff)
    assert applied.digest() == new.digest()
    with pytest.raises(HaError) as info:
        apply_diff(new, diff)
    assert info.value.problems[0].code is Code.CIB_VERSION_CONFLICT


def test_create_diff_handles_delete_move_create_and_attribute_changes() -> None:
    old = parse_cib(b"""<cib validate-with="pacemaker-3.7" epoch="1" admin_epoch="0"
    num_updates="0" have-quorum="1"><configuration><crm_config/><nodes>
    <node id="1" uname="a"/><node id="2" uname="b"/><node id="3" uname="c"/></nodes>
    <resources/><constraints/></configuration><status/></cib>""")
    new = parse_cib(b"""<cib validate-with="pacemaker-3.7" epoch="2" admin_epoch="0"
    num_updates="0" dc-uuid="2"><configuration><crm_config/><nodes>
    <node id="3" uname="c"/><node id="4" uname="d"/><node id="1" uname="A" type="member"/>
    </nodes><resources/><constraints/></configuration><status/></cib>""")
    diff = create_diff(old, new)
    operations = sorted({c.get("operation", "") for c in diff_changes(diff)})
    assert operations == ["create", "delete", "modify", "move"]
    assert apply_diff(old, diff).digest() == new.digest()


def test_a_tampered_patchset_fails_its_digest_check() -> None:
    doc = base()
    new, diff = modify(doc, frag('<nvpair id="opts-stonith" value="true"/>'))
    attr = diff.xpath("//change-attr")[0]
    attr.set("value", "maybe")
    with pytest.raises(HaError) as info:
        apply_diff(doc, diff)
    assert info.value.problems[0].code is Code.CIB_DIFF_DIGEST_MISMATCH


def test_a_stamped_request_records_who_wrote_and_its_patchset_carries_it() -> None:
    from hacluster.cib import CIBRequest, apply_request

    stamp = (("cib-last-written", "Wed Nov 25 01:00:00 2026"), ("update-client", "cibadmin"))
    request = CIBRequest("modify", '<nvpair id="opts-stonith" value="true"/>', stamp=stamp)
    new, diff = apply_request(base(), request)
    assert new.root.get("update-client") == "cibadmin"
    assert apply_diff(base(), diff).digest() == new.digest()
    noop = CIBRequest("modify", '<nvpair id="opts-stonith" value="false"/>', stamp=stamp)
    same, _ = apply_request(base(), noop)
    assert same.root.get("update-client") is None, "nothing changed: nothing stamped"


def test_a_patchset_with_an_impossible_attribute_is_invalid_not_a_crash() -> None:
    doc = base()
    _, diff = modify(doc, frag('<nvpair id="opts-stonith" value="true"/>'))
    diff.xpath("//change-attr")[0].set("name", "bad name")
    del diff.attrib["digest"]
    with pytest.raises(HaError) as info:
        apply_diff(doc, diff)
    assert info.value.problems[0].code is Code.CIB_DIFF_INVALID

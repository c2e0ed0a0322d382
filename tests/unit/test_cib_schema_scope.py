"""The schema check of a write sees what the write changed: a skeleton CIB with the root's
attributes, every section and, whole, each section child the patchset touches; the whole
document only when that cannot tell (and whenever the skeleton does not conform)."""

from __future__ import annotations

import pytest
from lxml import etree

from hacluster.cib import CIBRequest, XMLElement, apply_request, parse_cib
from hacluster.cib.schema_scope import changed_units, check_skeleton, path_steps
from hacluster.common import Code, HaError
from hacluster.drivers.cibfile import SCHEMA_DIR, schema_lookup

BASE = parse_cib(
    b'<cib validate-with="pacemaker-3.7" admin_epoch="0" epoch="1" num_updates="0">'
    b'<configuration><crm_config><cluster_property_set id="opts">'
    b'<nvpair id="opts-a" name="a" value="1"/></cluster_property_set></crm_config>'
    b'<nodes/><resources><primitive id="old" class="ocf" provider="pacemaker" type="Dummy"/>'
    b'</resources><constraints/></configuration>'
    b'<status><node_state id="1" uname="n1"/><node_state id="2" uname="n2"/></status></cib>')
DUMMY = '<primitive id="{0}" class="ocf" provider="pacemaker" type="Dummy"/>'


def skeleton(request: CIBRequest) -> XMLElement | None:
    new, diff = apply_request(BASE, request)
    return check_skeleton(BASE, new, diff)


def test_path_steps_keep_predicates_whole() -> None:
    assert path_steps("/cib/status/node_state[@id='a/b']/lrm") == [
        "cib", "status", "node_state[@id='a/b']", "lrm"]
    assert path_steps("cib/status") is None


def test_a_created_resource_is_checked_alone_in_a_skeleton() -> None:
    root = skeleton(CIBRequest("create", DUMMY.format("d1"), "resources"))
    assert root is not None
    assert [e.get("id") for e in root.iter("primitive")] == ["d1"]
    assert [e.tag for e in root.find("configuration")] == [
        "crm_config", "nodes", "resources", "constraints"]
    assert root.find("status") is not None and not len(root.find("status"))
    assert root.get("validate-with") == "pacemaker-3.7"


def test_a_changed_nvpair_brings_its_whole_set_and_a_status_update_its_node_state() -> None:
    root = skeleton(CIBRequest("modify", '<cluster_property_set id="opts"><nvpair '
                               'id="opts-a" name="a" value="2"/></cluster_property_set>',
                               "crm_config"))
    assert root is not None and [e.get("value") for e in root.iter("nvpair")] == ["2"]
    assert not list(root.iter("primitive"))
    root = skeleton(CIBRequest("modify", '<node_state id="2" uname="n2" crmd="online"/>',
                               "status"))
    assert root is not None and [e.get("id") for e in root.iter("node_state")] == ["2"]


def test_changes_outside_section_children_need_the_whole_document() -> None:
    new = etree.fromstring('<diff format="2"><change operation="create" '
                           'path="/cib/configuration" position="4"><tags/></change></diff>')
    assert changed_units(new) is None
    other = parse_cib(BASE.to_bytes().replace(b"pacemaker-3.7", b"pacemaker-3.6"))
    _, diff = apply_request(BASE, CIBRequest("create", DUMMY.format("d1"), "resources"))
    assert check_skeleton(BASE, other, diff) is None


@pytest.mark.skipif(not (SCHEMA_DIR / "pacemaker-3.7.rng").is_file(),
                    reason="Pacemaker RelaxNG schemas not installed")
def test_a_non_conforming_write_is_still_refused_and_a_conforming_one_applied() -> None:
    schemas = schema_lookup()
    bad = CIBRequest("create", '<primitive id="d1" class="ocf" provider="pacemaker" '
                     'type="Dummy" bogus="1"/>', "resources")
    try:
        apply_request(BASE, bad, schemas)
    except HaError as error:
        assert error.problems[0].code is Code.CIB_SCHEMA_INVALID
    else:
        raise AssertionError("a primitive with an unknown attribute conforms to no schema")
    new, _ = apply_request(BASE, CIBRequest("create", DUMMY.format("d1"), "resources"),
                           schemas)
    assert new.find_by_id("d1") is not None


def test_the_check_looks_only_at_what_the_write_touched() -> None:
    seen: list[list[str]] = []

    def check(root: XMLElement) -> list[str]:
        seen.append(sorted(str(e.get("id")) for e in root.iter("primitive")))
        return []

    apply_request(BASE, CIBRequest("create", DUMMY.format("d1"), "resources"),
                  lambda _: check)
    assert seen == [["d1"]], "one check, of the new resource only"
    seen.clear()

    def refuse_skeletons(root: XMLElement) -> list[str]:
        seen.append(sorted(str(e.get("id")) for e in root.iter("primitive")))
        return ["skeleton refused"] if len(seen) == 1 else []

    apply_request(BASE, CIBRequest("create", DUMMY.format("d2"), "resources"),
                  lambda _: refuse_skeletons)
    assert seen == [["d2"], ["d2", "old"]], "a failing skeleton: the whole document decides"

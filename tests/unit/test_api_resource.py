"""pcs's configuration commands on a CIB file: what they write, and what they refuse
(every problem at once, --force for the forceable ones, the CIB untouched on refusal)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacluster.api import constraint, property, resource, resource_layout, status_notes
from hacluster.api.env import CibFile
from hacluster.cli import pcs
from hacluster.common import Code, HaError

EMPTY = """<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
  <configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources/>
  <constraints/></configuration><status/></cib>"""
DUMMY = Path("/usr/lib/ocf/resource.d/heartbeat/Dummy")


@pytest.fixture
def env(tmp_path: Path) -> CibFile:
    path = tmp_path / "cib.xml"
    path.write_text(EMPTY)
    return CibFile(path)


def spec(rid: str, **kw: object) -> resource.CreateSpec:
    return resource.CreateSpec(rid, "ocf:heartbeat:Dummy", **kw)  # type: ignore[arg-type]


def ids(env: CibFile, xpath: str) -> list[str]:
    return [str(e.get("id")) for e in env.read().xpath(xpath)]


needs_dummy = pytest.mark.skipif(not DUMMY.is_file(), reason="resource-agents not installed")


@needs_dummy
def test_create_fills_operations_from_the_agent_metadata_sorted_by_name(env: CibFile) -> None:
    resource.create(env, spec("d1", operations=((("name", "monitor"), ("interval", "5")),)))
    assert ids(env, "//primitive[@id='d1']/operations/op") == [
        "d1-migrate_from-interval-0s", "d1-migrate_to-interval-0s", "d1-monitor-interval-5",
        "d1-reload-interval-0s", "d1-start-interval-0s", "d1-stop-interval-0s"]


@needs_dummy
def test_unknown_parameter_is_refused_unless_forced(env: CibFile) -> None:
    before = env.read().to_text()
    with pytest.raises(HaError) as caught:
        resource.create(env, spec("d1", instance=(("bogus", "1"),)))
    assert [p.code for p in caught.value.problems] == [Code.RSC_OPTION_UNKNOWN]
    assert env.read().to_text() == before
    warnings = resource.create(env, spec("d1", instance=(("bogus", "1"),)), force=True)
    assert [p.code for p in warnings] == [Code.RSC_OPTION_UNKNOWN]
    assert ids(env, "//nvpair") == ["d1-instance_attributes-bogus"]


@needs_dummy
def test_a_bad_id_is_reported_alone_before_the_group_kind(env: CibFile) -> None:
    """As pcs 0.11 does: the new id is checked first, and alone."""
    resource.create(env, spec("d1"))
    with pytest.raises(HaError) as caught:
        resource.create(env, spec("1bad", group="d1"))
    assert [p.code for p in caught.value.problems] == [Code.RSC_ID_INVALID]


@needs_dummy
def test_delete_takes_its_constraints_and_the_emptied_group(env: CibFile) -> None:
    resource.create(env, spec("d1", group="g"))
    resource.create(env, spec("d2"))
    constraint.colocation_add(env, ["d2", "with", "g"])
    report = resource_layout.delete(env, "d1")
    assert report == ["Removing Constraint - colocation-d2-g-INFINITY",
                      "Deleting Resource (and group) - d1"]
    assert ids(env, "//group") == [] and ids(env, "//rsc_colocation") == []


@needs_dummy
def test_clone_goes_last_and_takes_over_the_constraints(env: CibFile) -> None:
    resource.create(env, spec("d1"))
    resource.create(env, spec("d2"))
    constraint.order_add(env, ["d1", "then", "d2"])
    resource_layout.clone(env, "d1", "", (), promotable=False)
    assert ids(env, "/cib/configuration/resources/*") == ["d2", "d1-clone"]
    assert env.read().xpath("//rsc_order")[0].get("first") == "d1-clone"


@needs_dummy
def test_same_rule_in_another_order_is_a_forceable_duplicate(env: CibFile) -> None:
    resource.create(env, spec("d1"))
    words = ["score=-INFINITY", "not_defined", "pingd", "or", "pingd", "lte", "0"]
    constraint.location_rule(env, "d1", words)
    with pytest.raises(HaError) as caught:
        constraint.location_rule(env, "d1", words[:1] + words[4:] + ["or"] + words[1:3])
    assert caught.value.problems[0].code is Code.CONSTRAINT_DUPLICATE
    constraint.location_rule(env, "d1", words, force=True)
    assert len(env.read().xpath("//rsc_location")) == 2


def test_property_ids_cut_the_name_to_twenty_characters(env: CibFile) -> None:
    property.set_properties(env, [("start-failure-is-fatal", "false")])
    assert ids(env, "//nvpair") == ["cib-bootstrap-options-start-failure-is-fat"]


def test_bad_property_name_and_value_come_back_together(env: CibFile) -> None:
    with pytest.raises(HaError) as caught:
        property.set_properties(env, [("foo", "1"), ("stonith-enabled", "maybe")])
    assert [p.code for p in caught.value.problems] == [Code.PROPERTY_UNKNOWN,
                                                        Code.TOOL_BAD_VALUE]


def test_standby_of_an_unknown_node_is_refused(env: CibFile) -> None:
    with pytest.raises(HaError) as caught:
        property.node_attributes(env, ["n9"], [("standby", "on")])
    assert caught.value.problems[0].code is Code.NODE_NOT_FOUND
    property.node_attributes(env, ["n1"], [("standby", "on")])
    assert ids(env, "//node/instance_attributes/nvpair") == ["nodes-1-standby"]


def test_pcs_prints_errors_and_exits_1_leaving_the_cib_alone(
        env: CibFile, capsys: pytest.CaptureFixture[str]) -> None:
    before = env.read().to_text()
    status = pcs.main(["-f", str(env.path), "constraint", "location", "nope", "prefers",
                       "n1=abc"])
    err = capsys.readouterr().err
    assert status == 1
    assert "Error: Resource 'nope' does not exist" in err
    assert "Error: invalid score 'abc'" in err
    assert env.read().to_text() == before


def test_pcs_refuses_move_with_a_file_and_unknown_options(
        env: CibFile, capsys: pytest.CaptureFixture[str]) -> None:
    assert pcs.main(["-f", str(env.path), "resource", "move", "x", "n1"]) == 1
    assert pcs.main(["-f", str(env.path), "status", "--bogus"]) == 1
    err = capsys.readouterr().err
    assert "Specified option '-f' is not supported in this command" in err
    assert "option --bogus not recognized" in err


def test_pcs_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert pcs.main(["--help"]) == 0
    out = capsys.readouterr().out
    for noun in ("resource", "constraint", "property", "node", "stonith", "cluster", "status"):
        assert noun in out


@needs_dummy
def test_pcs_json_output_of_resources_constraints_and_properties(
        env: CibFile, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    resource.create(env, spec("d1"))
    property.set_properties(env, [("stonith-enabled", "false")])
    constraint.location_prefers(env, "d1", ["n1=5"], avoids=False)
    base = ["-f", str(env.path), "--output-format=json"]
    assert pcs.main([*base, "resource", "config"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == "d1"
    assert pcs.main([*base, "constraint"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["score"] == "5"
    assert pcs.main([*base, "property", "config"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"set": "cib-bootstrap-options", "name": "stonith-enabled", "value": "false"}]
    assert pcs.main([*base, "status", "resources", "--corosync_conf", "x"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["kind"] == "PrimitiveStatus"


def test_pcs_stonith_fence_and_history_refuse_a_file_as_pcs_does(
        env: CibFile, capsys: pytest.CaptureFixture[str]) -> None:
    assert pcs.main(["-f", str(env.path), "stonith", "fence", "n1"]) == 1
    assert pcs.main(["-f", str(env.path), "stonith", "history"]) == 1
    assert capsys.readouterr().err.count("Specified option '-f' is not supported") == 2


def test_pcs_status_names_the_cluster_from_corosync_conf_else_its_property(
        env: CibFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "corosync.conf"
    conf.write_text("totem {\n    cluster_name: fromconf\n}\n")
    base = ["-f", str(env.path), "--corosync_conf", str(conf)]
    property.set_properties(env, [("cluster-name", "eayun")], force=True)
    assert pcs.main([*base, "status"]) == 0
    assert capsys.readouterr().out.startswith("Cluster name: fromconf\n")
    assert status_notes.cluster_name(env.read().root, None) == "eayun"
    assert pcs.main(["-f", str(env.path), "--corosync_conf", str(tmp_path / "no"),
                     "status"]) == 1
    assert "Error: Unable to read " in capsys.readouterr().err

"""cli/render.py on hand-built status views: the exact Pacemaker 2.1.5 text shapes."""

from __future__ import annotations

from hacluster.api import revised as rv
from hacluster.api import status as st
from hacluster.cli import render, render_xml


def node(name: str, online: bool = True, **kw: bool | int) -> st.NodeStatus:
    fields: dict[str, bool | int] = {"standby": False, "maintenance": False, "unclean": False,
                                     "pending": False, "active_resources": 0}
    fields.update(kw)
    return st.NodeStatus(name, online, **fields)  # type: ignore[arg-type]


def prim(rid: str, role: str = "Started", nodes: tuple[str, ...] = ("node1",),
         **kw: bool) -> st.PrimitiveStatus:
    fields = {"failed": False, "orphan": False, "managed": True, "blocked": False,
              "disabled": False, "unclean": False}
    fields.update(kw)
    return st.PrimitiveStatus(rid, "ocf:pacemaker:Dummy", role, nodes, **fields)


def clone(instances: tuple[st.PrimitiveStatus | st.GroupStatus, ...], clone_max: int,
          promotable: bool = False, nodes: tuple[str, ...] = ("node1", "node2", "node3"),
          ) -> st.CloneStatus:
    return st.CloneStatus("c", "child", promotable, False, False, True, instances, nodes,
                          clone_max)


def summary(**kw: object) -> st.ClusterSummary:
    fields: dict[str, object] = dict(
        stack="corosync", dc="node1", dc_version=None, have_quorum=True,
        last_written="Tue Nov 14 22:13:20 2023", update_client="cibadmin",
        update_origin="node1", update_user="", nodes_configured=2, instances_configured=3,
        disabled=0, blocked=0)
    fields.update(kw)
    return st.ClusterSummary(**fields)  # type: ignore[arg-type]


def test_online_nodes_share_a_list_and_troubled_nodes_get_their_own_line() -> None:
    lines = render.node_lines([
        node("node1"), node("node2", online=False, unclean=True), node("node3"),
        node("node4", standby=True, active_resources=1), node("node5", online=False),
        node("node6", standby=True)])
    assert lines == ["* Node node2: UNCLEAN (offline)",
                     "* Node node4: standby (with active resources)",
                     "* Node node6: standby",
                     "* Online: [ node1 node3 ]",
                     "* OFFLINE: [ node5 ]"]


def test_nodes_sort_with_numbers_compared_as_numbers() -> None:
    assert st.sorted_node_names(["node10", "node2", "node1"]) == ["node1", "node2", "node10"]


def test_a_primitive_line_has_tabs_agent_and_state() -> None:
    assert render.primitive_line(prim("rsc1")) == "* rsc1\t(ocf:pacemaker:Dummy):\t Started node1"
    assert render.primitive_line(prim("r", "Stopped", (), disabled=True)).endswith(
        "\t Stopped (disabled)")


def test_failed_state_keeps_only_the_promoted_role_and_flags_follow_the_node() -> None:
    assert render.primitive_state(prim("r", "Promoted", failed=True)) == "FAILED Promoted node1"
    assert render.primitive_state(prim("r", "Unpromoted", failed=True)) == "FAILED node1"
    assert render.primitive_state(prim("r", failed=True, blocked=True, unclean=True)) == \
        "FAILED node1 (UNCLEAN, blocked)"
    assert render.primitive_state(prim("r", managed=False)) == "Started node1 (unmanaged)"
    assert render.primitive_state(prim("r", orphan=True)) == "ORPHANED Started node1"


def test_a_multiply_active_primitive_lists_its_nodes_in_brackets() -> None:
    assert render.primitive_state(prim("r", nodes=("node1", "node2"))) == \
        "Started [ node1 node2 ]"


def test_an_anonymous_clone_collapses_plain_instances_and_lists_stopped_nodes() -> None:
    c = clone((prim("child", nodes=("node2",)), prim("child", nodes=("node1",)),
               prim("child", "Stopped", ())), clone_max=3)
    assert render.clone_lines(c, inactive=True) == [
        "* Clone Set: c [child]:", "  * Started: [ node1 node2 ]", "  * Stopped: [ node3 ]"]


def test_the_stopped_list_is_left_out_when_every_configured_instance_is_active() -> None:
    c = clone((prim("child", nodes=("node1",)),), clone_max=1)
    assert render.clone_lines(c, inactive=True) == [
        "* Clone Set: c [child]:", "  * Started: [ node1 ]"]


def test_failed_clone_instances_are_printed_one_by_one_before_the_lists() -> None:
    c = clone((prim("child", "Promoted", ("node1",)),
               prim("child", "Unpromoted", ("node2",), failed=True)), clone_max=3,
              promotable=True)
    assert render.clone_lines(c, inactive=True) == [
        "* Clone Set: c [child] (promotable):",
        "  * child\t(ocf:pacemaker:Dummy):\t FAILED node2",
        "  * Promoted: [ node1 ]",
        "  * Stopped: [ node3 ]"]


def test_active_mode_hides_inactive_group_members_and_counts_them() -> None:
    g = st.GroupStatus("grp", (prim("a"), prim("b", "Stopped", ()), prim("c", "Stopped", ())),
                       False, True)
    assert render.group_lines(g, inactive=False) == [
        "* Resource Group: grp (2 members inactive):",
        "  * a\t(ocf:pacemaker:Dummy):\t Started node1"]
    assert render.group_lines(g, inactive=True)[0] == "* Resource Group: grp:"


def test_crm_simulate_status_section_is_indented_under_its_header() -> None:
    view = st.StatusView(summary(), (node("node1"),), (prim("rsc1"),), (), ())
    assert render.render_cluster_status(view) == [
        "  * Node List:", "    * Online: [ node1 ]", "",
        "  * Full List of Resources:", "    * rsc1\t(ocf:pacemaker:Dummy):\t Started node1"]


def test_crm_mon_header_names_the_dc_quorum_and_disabled_instances() -> None:
    view = st.StatusView(summary(disabled=1, have_quorum=False), (node("node1"),), (), (), ())
    lines = render.render_crm_mon(view, 0)
    assert lines[2] == "  * Current DC: node1 (version unknown) - partition WITHOUT quorum"
    assert lines[4] == "  * Last change:  Tue Nov 14 22:13:20 2023 via cibadmin on node1"
    assert lines[6] == "  * 3 resource instances configured (1 DISABLED)"
    assert lines[-2:] == ["Active Resources:", "  * No active resources"]


def test_failed_actions_read_like_crm_mon() -> None:
    monitor = st.FailedAction("rsc4", "monitor", 10000, "node2", 7, 0, "", None, 20)
    probe = st.FailedAction("rsc4", "monitor", 0, "node1", 1, 2, "", None, None)
    assert render.failed_action_line(monitor) == \
        "* rsc4 10s-interval monitor on node2 returned 'not running' after 20ms"
    assert render.failed_action_line(probe) == \
        "* rsc4 probe on node1 could not be executed (Timed Out)"


def test_migration_summary_lists_fail_counts_of_online_nodes_only() -> None:
    counts = (st.FailCount("node1", "rsc1", 1000000, 1, None),
              st.FailCount("node2", "rsc2", 3, 1000000, None))
    view = st.StatusView(summary(), (node("node1"), node("node2", online=False)), (), (),
                         counts)
    assert render.migration_lines(view) == [
        "Migration Summary:", "  * Node: node1:",
        "    * rsc1: migration-threshold=1000000 fail-count=1"]


def test_revised_view_applies_stops_before_starts_and_takes_fenced_nodes_offline() -> None:
    view = st.StatusView(summary(), (node("node1"), node("node2", online=False, unclean=True)),
                         (prim("a", failed=True, key="a"), prim("b", nodes=("node2",), key="b"),
                          prim("c", "Stopped", (), key="c")), (), ())
    actions = [("a", "start", "node1"), ("a", "stop", "node1"), (None, "stonith", "node2"),
               ("c", "start", "node1")]
    revised = rv.revised_view(view, actions)
    assert render.node_lines(revised.nodes) == ["* Online: [ node1 ]", "* OFFLINE: [ node2 ]"]
    assert [render.primitive_state(p) for p in revised.resources] == [  # type: ignore[arg-type]
        "Started node1", "Stopped", "Started node1"]


def test_revised_view_promotes_and_starts_clone_instances_by_their_instance_id() -> None:
    c = clone((prim("child", "Unpromoted", ("node1",), key="child:0"),
               prim("child", "Stopped", (), key="child:1")), clone_max=2, promotable=True)
    view = st.StatusView(summary(), (node("node1"), node("node2")), (c,), (), ())
    revised = rv.revised_view(view, [("child:0", "promote", "node1"),
                                      ("child:1", "start", "node2")])
    assert render.clone_lines(revised.resources[0], inactive=True)[1:] == [  # type: ignore[arg-type]
        "  * Promoted: [ node1 ]", "  * Unpromoted: [ node2 ]"]


def test_crm_mon_xml_has_the_sections_of_the_real_one_in_order() -> None:
    view = st.StatusView(summary(), (node("node1"),), (prim("rsc1"),), (), ())
    lines = render_xml.render_crm_mon_xml(view, 0, "crm_mon -1 --output-as xml")
    assert lines[0] == '<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as xml">'
    sections = [ln.strip() for ln in lines if ln.startswith("  <") and not ln.startswith("  </")]
    assert [s.split()[0].rstrip(">/") for s in sections] == [
        "<summary", "<nodes", "<resources", "<node_history", "<status"]
    assert '    <resource id="rsc1" resource_agent="ocf:pacemaker:Dummy" role="Started" ' \
        'active="true" orphaned="false" blocked="false" managed="true" failed="false" ' \
        'failure_ignored="false" nodes_running_on="1">' in lines
    assert lines[-1] == "</pacemaker-result>"


def test_a_pending_monitor_is_flagged_and_keeps_the_instance_out_of_the_lists() -> None:
    p = st.PrimitiveStatus("r", "ocf:pacemaker:Dummy", "Started", ("node1",), False, False,
                           True, False, False, False, pending="Monitoring")
    assert render.primitive_state(p) == "Started node1 (Monitoring)"
    assert not render.is_plain(p)

"""`crm_mon --output-as xml` in Pacemaker 2.1.5's shape (api-version 2.25).

Owns the XML text: element order, attribute names and their order, booleans as
"true"/"false", times as the real tool writes them. Must never compute status (api/status.py
does) nor use an XML library: the output is written line by line like the text form.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from hacluster.api import status as st
from hacluster.cli.render import EXEC_STATUS, OCF_RC, format_time


def xml_escape(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def tag(name: str, attrs: Iterable[tuple[str, object]], close: bool = True) -> str:
    text = "".join(f' {k}="{xml_escape(v if isinstance(v, str) else xml_bool(v))}"'
                   for k, v in attrs)
    return f"<{name}{text}{'/' if close else ''}>"


def xml_bool(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def iso_time(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(epoch_s))


def xml_summary(view: st.StatusView, now_s: int) -> list[str]:
    s = view.summary
    dc: list[tuple[str, object]] = [("present", False)]
    if s.dc is not None:
        dc = [("present", True), ("version", s.dc_version or ""), ("name", s.dc),
              ("id", s.dc_id), ("with_quorum", s.have_quorum), ("mixed_version", False)]
    return ["<summary>", "  " + tag("stack", [("type", s.stack)]),
            "  " + tag("current_dc", dc),
            "  " + tag("last_update", [("time", format_time(now_s))]),
            "  " + tag("last_change", [("time", s.last_written), ("user", s.update_user),
                                        ("client", s.update_client),
                                        ("origin", s.update_origin)]),
            "  " + tag("nodes_configured", [("number", s.nodes_configured)]),
            "  " + tag("resources_configured", [("number", s.instances_configured),
                                                 ("disabled", s.disabled),
                                                 ("blocked", s.blocked)]),
            "  " + tag("cluster_options", s.options), "</summary>"]


def xml_node(n: st.NodeStatus) -> str:
    attrs: list[tuple[str, object]] = [
        ("name", n.name), ("id", n.id), ("online", n.online), ("standby", n.standby),
        ("standby_onfail", False), ("maintenance", n.maintenance), ("pending", n.pending),
        ("unclean", n.unclean), ("health", n.health)]
    if n.feature_set:
        attrs.append(("feature_set", n.feature_set))
    attrs += [("shutdown", n.shutdown), ("expected_up", n.expected_up), ("is_dc", n.is_dc),
              ("resources_running", n.active_resources), ("type", "member")]
    return tag("node", attrs)


def xml_primitive(p: st.PrimitiveStatus, nodes_by_name: dict[str, st.NodeStatus]) -> list[str]:
    attrs: list[tuple[str, object]] = [("id", p.id), ("resource_agent", p.agent),
                                       ("role", p.role)]
    if p.disabled:
        attrs.append(("target_role", "Stopped"))
    attrs += [("active", bool(p.nodes)), ("orphaned", p.orphan), ("blocked", p.blocked),
              ("managed", p.managed and not p.blocked), ("failed", p.failed),
              ("failure_ignored", p.failure_ignored), ("nodes_running_on", len(p.nodes))]
    if not p.nodes:
        return [tag("resource", attrs)]
    nodes = []
    for name in p.nodes:
        node = nodes_by_name.get(name)
        # "cached": the location is known from the status of a node that is up
        nodes.append("  " + tag("node", [("name", name), ("id", node.id if node else ""),
                                          ("cached", bool(node and node.online))]))
    return [tag("resource", attrs, close=False), *nodes, "</resource>"]


def xml_resource(r: st.ResourceStatus, node_ids: dict[str, st.NodeStatus]) -> list[str]:
    if isinstance(r, st.PrimitiveStatus):
        return xml_primitive(r, node_ids)
    if isinstance(r, st.GroupStatus):
        body = [ln for m in r.members for ln in xml_primitive(m, node_ids)]
        head = tag("group", [("id", r.id), ("number_resources", len(r.members)),
                             ("managed", r.managed), ("disabled", r.disabled)], close=False)
        return [head, *("  " + ln for ln in body), "</group>"]
    # the clone's own flag: a failed instance does not mark the clone failed
    attrs: list[tuple[str, object]] = [
        ("id", r.id), ("multi_state", r.promotable), ("unique", r.unique),
        ("managed", r.managed), ("disabled", r.disabled), ("failed", False),
        ("failure_ignored", False)]
    if r.disabled:
        attrs.append(("target_role", "Stopped"))
    body = [ln for inst in r.instances for ln in xml_resource(inst, node_ids)]
    return [tag("clone", attrs, close=False), *("  " + ln for ln in body), "</clone>"]


def xml_history(view: st.StatusView) -> list[str]:
    lines: list[str] = []
    node = None
    for h in view.history:
        if h.node != node:
            if node is not None:
                lines.append("  </node>")
            node = h.node
            lines.append("  " + tag("node", [("name", node)], close=False))
        attrs: list[tuple[str, object]] = [("id", h.rsc), ("orphan", h.orphan),
                                           ("migration-threshold", h.migration_threshold)]
        if h.fail_count:
            attrs.append(("fail-count", h.fail_count))
        if h.last_failure_s:
            attrs.append(("last-failure", format_time(h.last_failure_s)))
        lines.append("    " + tag("resource_history", attrs, close=False))
        lines += ["      " + xml_operation(op) for op in h.ops]
        lines.append("    </resource_history>")
    if node is not None:
        lines.append("  </node>")
    if lines:
        return ["<node_history>", *lines, "</node_history>"]
    # the section exists (empty) as soon as some node is up to have a history
    return ["<node_history/>"] if any(n.online for n in view.nodes) else []


def xml_operation(op: st.OpRecord) -> str:
    attrs: list[tuple[str, object]] = [("call", op.call), ("task", op.task), ("rc", op.rc),
                                       ("rc_text", OCF_RC.get(op.rc, "unknown"))]
    if op.interval_ms:
        attrs.append(("interval", f"{op.interval_ms}ms"))
    if op.last_rc_change_s:
        attrs.append(("last-rc-change", format_time(op.last_rc_change_s)))
    if op.exec_ms is not None:
        attrs.append(("exec-time", f"{op.exec_ms}ms"))
    if op.queue_ms is not None:
        attrs.append(("queue-time", f"{op.queue_ms}ms"))
    return tag("operation_history", attrs)


def xml_failure(a: st.FailedAction) -> str:
    attrs: list[tuple[str, object]] = [
        ("op_key", a.op_key), ("node", a.node), ("exitstatus", OCF_RC.get(a.rc, "unknown")),
        ("exitreason", a.exit_reason), ("exitcode", a.rc), ("call", a.call or 0),
        ("status", "complete" if a.op_status in (0, 4) else EXEC_STATUS.get(a.op_status, ""))]
    if a.last_rc_change_s:
        attrs.append(("last-rc-change", iso_time(a.last_rc_change_s)))
    attrs += [("queued", a.queue_ms or 0), ("exec", a.exec_ms or 0),
              ("interval", a.interval_ms), ("task", a.task)]
    return tag("failure", attrs)


def render_crm_mon_xml(view: st.StatusView, now_s: int, request: str) -> list[str]:
    """`crm_mon -1 --output-as xml` (Pacemaker 2.1.5, api-version 2.25)."""
    node_ids = {n.name: n for n in view.nodes}
    body = xml_summary(view, now_s)
    body += ["<nodes>", *("  " + xml_node(n) for n in view.nodes), "</nodes>"]
    resources = [ln for r in view.resources for ln in xml_resource(r, node_ids)]
    body += ["<resources>", *("  " + ln for ln in resources), "</resources>"]
    attributes = []
    for n in view.nodes:
        if n.online and n.attributes:
            attributes += ["  " + tag("node", [("name", n.name)], close=False),
                           *("    " + tag("attribute", [("name", k), ("value", v)])
                             for k, v in n.attributes), "  </node>"]
    if attributes:
        body += ["<node_attributes>", *attributes, "</node_attributes>"]
    body += xml_history(view)
    if view.failed_actions:
        body += ["<failures>", *("  " + xml_failure(a) for a in view.failed_actions),
                 "</failures>"]
    if view.bans:
        body += ["<bans>", *("  " + tag("ban", [
            ("id", b.id), ("resource", b.rsc), ("node", b.node), ("weight", b.weight),
            ("promoted-only", b.promoted_only), ("master_only", b.promoted_only)])
            for b in view.bans), "</bans>"]
    body.append(tag("status", [("code", 0), ("message", "OK")]))
    head = tag("pacemaker-result", [("api-version", "2.25"), ("request", request)], close=False)
    return [head, *("  " + ln for ln in body), "</pacemaker-result>"]

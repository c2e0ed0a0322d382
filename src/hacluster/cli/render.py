"""Text rendering of cluster status in Pacemaker 2.1.5's formats (crm_mon, crm_simulate).

Owns the exact text: bullets, tabs, the node-list grouping, clone collapsing and
state flags, so our tools' output can be compared line by line with the real ones.
Must never compute status (api/status.py does) nor parse the CIB; it only prints a view.
`render_cluster_status(view)` gives the lines under crm_simulate's "Current cluster status:"
and "Revised Cluster Status:" headers; `render_crm_mon(view, now_s)` gives `crm_mon -1`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from types import MappingProxyType

from hacluster.api import status as st


def format_time(epoch_s: int) -> str:
    """The C library's ctime() form Pacemaker prints: "Tue Nov 14 22:14:37 2023"."""
    return time.ctime(epoch_s)


def flags(*words: str | None) -> str:
    """" (a, b)" for the words that are set, "" when none is."""
    kept = [w for w in words if w]
    return f" ({', '.join(kept)})" if kept else ""


# --- nodes ------------------------------------------------------------------------------


def node_state_text(node: st.NodeStatus) -> str | None:
    """The individual state of a node, or None when it goes in the Online/OFFLINE lists."""
    if node.unclean:
        return "UNCLEAN (online)" if node.online else "UNCLEAN (offline)"
    if node.pending:
        return "pending"
    if node.standby:
        if not node.online:
            return "OFFLINE (standby)"
        return "standby (with active resources)" if node.active_resources else "standby"
    if node.maintenance:
        return "maintenance" if node.online else "OFFLINE (maintenance)"
    if node.online and node.health != "green":
        return f"online (health is {node.health.upper()})"
    return None


def node_lines(nodes: Iterable[st.NodeStatus]) -> list[str]:
    lines: list[str] = []
    online: list[str] = []
    offline: list[str] = []
    for node in nodes:
        text = node_state_text(node)
        if text is not None:
            lines.append(f"* Node {node.name}: {text}")
        elif node.online:
            online.append(node.name)
        else:
            offline.append(node.name)
    if online:
        lines.append(f"* Online: [ {' '.join(online)} ]")
    if offline:
        lines.append(f"* OFFLINE: [ {' '.join(offline)} ]")
    return lines


# --- resources --------------------------------------------------------------------------


def primitive_state(p: st.PrimitiveStatus) -> str:
    """The text after the agent: "Started node1", "FAILED Promoted node1 (blocked)", ..."""
    managed = None if p.managed or p.blocked else "unmanaged"
    tail = ("disabled" if p.disabled else None, "blocked" if p.blocked else None, managed,
            "failure ignored" if p.failure_ignored else None)
    role = p.role
    if p.failed:
        role = "FAILED Promoted" if p.role == "Promoted" and len(p.nodes) == 1 else "FAILED"
    prefix = "ORPHANED " if p.orphan else ""
    if not p.nodes:
        return f"{prefix}{role}{flags(*tail)}"
    if len(p.nodes) == 1:
        node_flags = ("UNCLEAN" if p.unclean else None, p.pending or None)
        return f"{prefix}{role} {p.nodes[0]}{flags(*node_flags, *tail)}"
    return f"{prefix}{role}{flags(*tail)} [ {' '.join(p.nodes)} ]"


def primitive_line(p: st.PrimitiveStatus) -> str:
    return f"* {p.id}\t({p.agent}):\t {primitive_state(p)}"


def is_active(p: st.PrimitiveStatus) -> bool:
    return bool(p.nodes)


def group_lines(g: st.GroupStatus, inactive: bool) -> list[str]:
    shown = [m for m in g.members if inactive or is_active(m)]
    if not shown:
        return []
    hidden = len(g.members) - len(shown)
    count = f"{hidden} member{'s' if hidden != 1 else ''} inactive" if hidden else None
    tags = flags(count, None if g.managed else "unmanaged", "disabled" if g.disabled else None)
    header = f"* Resource Group: {g.id}{tags}:"
    return [header] + ["  " + primitive_line(m) for m in shown]


def is_plain(p: st.PrimitiveStatus) -> bool:
    """An instance that collapses into a "Started: [ ... ]" list."""
    return (len(p.nodes) == 1 and not p.failed and p.managed and not p.orphan
            and not p.blocked and not p.unclean and p.role != "Starting" and not p.pending)


def clone_lines(c: st.CloneStatus, inactive: bool) -> list[str]:
    tags = flags("promotable" if c.promotable else None, "unique" if c.unique else None,
                 None if c.managed else "unmanaged", "disabled" if c.disabled else None)
    header = f"* Clone Set: {c.id} [{c.child}]{tags}:"
    body = unique_clone_body(c, inactive) if c.unique else anonymous_clone_body(c, inactive)
    if not body and not inactive:
        return []  # crm_mon's "Active Resources" hides a clone with nothing active
    return [header] + ["  " + line for line in body]


def unique_clone_body(c: st.CloneStatus, inactive: bool) -> list[str]:
    """Every instance, stopped ones too, once the clone is shown at all (as crm_mon does)."""
    if not inactive and not any(is_instance_active(i) or
                                (isinstance(i, st.GroupStatus) and
                                 any(is_active(m) for m in i.members)) for i in c.instances):
        return []
    body: list[str] = []
    for inst in c.instances:
        if isinstance(inst, st.GroupStatus):
            body += group_lines(inst, inactive)
        else:
            body.append(primitive_line(inst))
    return body


def group_instance_node(g: st.GroupStatus) -> tuple[str, str] | None:
    """(node, role) when every member is plainly active on the same node; a group
    with a promoted member counts as promoted."""
    if not g.members or not all(is_plain(m) for m in g.members):
        return None
    nodes = {m.nodes[0] for m in g.members}
    if len(nodes) != 1:
        return None
    roles = {m.role for m in g.members}
    role = "Promoted" if "Promoted" in roles else ("Unpromoted" if "Unpromoted" in roles
                                                   else "Started")
    return nodes.pop(), role


def is_instance_active(inst: st.PrimitiveStatus | st.GroupStatus) -> bool:
    if isinstance(inst, st.GroupStatus):  # a partly active group counts as inactive
        return bool(inst.members) and all(is_active(m) for m in inst.members)
    return is_active(inst) and not inst.orphan


def anonymous_clone_body(c: st.CloneStatus, inactive: bool) -> list[str]:
    body: list[str] = []
    by_role: dict[str, list[str]] = {"Promoted": [], "Unpromoted": [], "Started": []}
    active_nodes: set[str] = set()
    for inst in c.instances:
        if isinstance(inst, st.GroupStatus):
            placed = group_instance_node(inst)
            active_nodes.update(n for m in inst.members for n in m.nodes)
            if placed is not None:
                by_role[placed[1]].append(placed[0])
            elif any(is_active(m) for m in inst.members):
                body += group_lines(inst, inactive)
            continue
        active_nodes.update(inst.nodes)
        if is_plain(inst):
            by_role[inst.role].append(inst.nodes[0])
        elif is_active(inst):
            body.append(primitive_line(inst))
    order = {name: i for i, name in enumerate(c.nodes)}
    for role, nodes in by_role.items():
        if nodes:
            nodes.sort(key=lambda n: order.get(n, len(order)))
            body.append(f"* {role}: [ {' '.join(nodes)} ]")
    stopped = [n for n in c.nodes if n not in active_nodes]
    active_instances = sum(1 for inst in c.instances if is_instance_active(inst))
    if inactive and stopped and c.clone_max > active_instances:
        label = "Stopped (disabled)" if c.disabled else "Stopped"
        body.append(f"* {label}: [ {' '.join(stopped)} ]")
    return body


def resource_lines(resources: Iterable[st.ResourceStatus], inactive: bool) -> list[str]:
    lines: list[str] = []
    for r in resources:
        if isinstance(r, st.PrimitiveStatus):
            if inactive or is_active(r):
                lines.append(primitive_line(r))
        elif isinstance(r, st.GroupStatus):
            lines += group_lines(r, inactive)
        else:
            lines += clone_lines(r, inactive)
    return lines


# --- whole screens ----------------------------------------------------------------------


def render_cluster_status(view: st.StatusView) -> list[str]:
    """The lines crm_simulate prints under "Current cluster status:" (inactive shown)."""
    lines = ["  * Node List:"] + ["    " + ln for ln in node_lines(view.nodes)]
    lines += ["", "  * Full List of Resources:"]
    resources = resource_lines(view.resources, inactive=True)
    lines += ["    " + ln for ln in resources] if resources else ["    * No resources"]
    return lines


def disabled_blocked_line(view: st.StatusView) -> str | None:
    """crm_simulate's note before the status when something is disabled or blocked."""
    s = view.summary
    if not s.disabled and not s.blocked:
        return None
    return (f"{s.disabled} of {s.instances_configured} resource instances DISABLED and "
            f"{s.blocked} BLOCKED from further action due to failure")


def summary_lines(view: st.StatusView, now_s: int) -> list[str]:
    s = view.summary
    lines = ["Cluster Summary:", f"  * Stack: {s.stack}"]
    if s.dc is None:
        lines.append("  * Current DC: NONE")
    else:
        quorum = "with" if s.have_quorum else "WITHOUT"
        lines.append(f"  * Current DC: {s.dc} (version {s.dc_version or 'unknown'})"
                     f" - partition {quorum} quorum")
    lines.append(f"  * Last updated: {format_time(now_s)}")
    change = s.last_written
    if s.update_user:
        change += f" by {s.update_user}"
    if s.update_client:
        change += f" via {s.update_client}"
        if s.update_origin:
            change += f" on {s.update_origin}"
    lines.append(f"  * Last change:  {change}")
    lines.append(f"  * {s.nodes_configured} node{'s' if s.nodes_configured != 1 else ''}"
                 " configured")
    extra = []
    if s.disabled:
        extra.append(f"{s.disabled} DISABLED")
    if s.blocked:
        extra.append(f"{s.blocked} BLOCKED from further action due to failure")
    lines.append(f"  * {s.instances_configured} resource instance"
                 f"{'s' if s.instances_configured != 1 else ''} configured"
                 + (f" ({', '.join(extra)})" if extra else ""))
    return lines


def readable_ms(ms: int) -> str:
    """Pacemaker's duration text in failed actions: "20ms", "10s", "60s", "30.160s"."""
    if ms < 1000:
        return f"{ms}ms"
    seconds, rest_ms = divmod(ms, 1000)
    return f"{seconds}.{rest_ms:03d}s" if rest_ms else f"{seconds}s"


EXEC_STATUS = MappingProxyType({
    -1: "pending", 1: "Cancelled", 2: "Timed Out", 3: "NOT SUPPORTED", 4: "Error",
    5: "Hard error", 6: "Fatal error", 7: "Not installed",
    8: "Internal communication failure", 9: "Cannot execute now",
    10: "No fence device", 11: "CIB secrets unavailable"})
OCF_RC = MappingProxyType({
    0: "ok", 1: "error", 2: "invalid parameter", 3: "unimplemented feature",
    4: "insufficient privileges", 5: "not installed", 6: "not configured",
    7: "not running", 8: "promoted", 9: "promoted (failed)", 190: "OCF_DEGRADED",
    191: "OCF_DEGRADED_PROMOTED"})


def failed_action_line(a: st.FailedAction) -> str:
    if a.task == "monitor" and a.interval_ms == 0:
        what = "probe"
    elif a.interval_ms:
        what = f"{readable_ms(a.interval_ms)}-interval {a.task}"
    else:
        what = a.task
    text = f"* {a.rsc} {what} on {a.node}"
    if a.op_status == 0:
        text += f" returned '{OCF_RC.get(a.rc, 'unknown')}'"
        if a.exit_reason:
            text += f" ({a.exit_reason})"
    else:
        text += f" could not be executed ({EXEC_STATUS.get(a.op_status, 'Error')})"
        if a.exit_reason:
            text += f" because '{a.exit_reason}'"
    if a.last_rc_change_s:
        text += f" at {format_time(a.last_rc_change_s)}"
    if a.exec_ms:
        text += f" after {readable_ms(a.exec_ms)}"
    return text


def migration_lines(view: st.StatusView) -> list[str]:
    """Fail counts per online node; the header shows once any node is online."""
    online = {n.name for n in view.nodes if n.online}
    if not online:
        return []
    lines = ["Migration Summary:"]
    node = None
    for fc in (fc for fc in view.fail_counts if fc.node in online):
        if fc.node != node:
            node = fc.node
            lines.append(f"  * Node: {node}:")
        last = f" last-failure='{format_time(fc.last_failure_s)}'" if fc.last_failure_s else ""
        lines.append(f"    * {fc.rsc}: migration-threshold={fc.migration_threshold} "
                     f"fail-count={fc.fail_count}{last}")
    return lines


def resources_section(view: st.StatusView, inactive: bool) -> list[str]:
    lines: list[str] = []
    if view.nodes:  # crm_mon leaves the section out when no node is configured
        lines += ["", "Node List:"] + ["  " + ln for ln in node_lines(view.nodes)]
    resources = resource_lines(view.resources, inactive)
    lines += ["", "Full List of Resources:" if inactive else "Active Resources:"]
    if resources:
        lines += ["  " + ln for ln in resources]
    else:
        lines.append("  * No resources" if inactive else "  * No active resources")
    return lines


def render_crm_mon(view: st.StatusView, now_s: int, inactive: bool = False,
                   fail_counts: bool = False, body: list[str] | None = None) -> list[str]:
    """`crm_mon -1` (with `-r`: inactive resources too; with `-f`: the migration summary);
    `body` replaces the nodes and resources sections (`-n`: see render_bynode)."""
    lines = summary_lines(view, now_s)
    lines += resources_section(view, inactive) if body is None else body
    migration = migration_lines(view) if fail_counts else []
    if migration:
        lines += [""] + migration
    if view.failed_actions:
        lines += ["", "Failed Resource Actions:"]
        lines += ["  " + failed_action_line(a) for a in view.failed_actions]
    return lines

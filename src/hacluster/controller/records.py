"""Reading what the controller needs from the CIB, and writing the status section the way
Pacemaker's controller writes it.

Owns: the OpRequest for a resource action (class/provider/type, instance attributes, the
op's timeout), each op result as an `lrm_rsc_op` (operation_key, transition-key/-magic,
call-id, rc-code, op-status, interval, last-rc-change, exec-time, queue-time, op-digest as
the scheduler checks it), `node_state` join fields, fail-count/last-failure attributes.
Must never do I/O. Spec: Pacemaker Explained "Status" (node_state, lrm_rsc_op), "Failure
Response"; the op-digest recipe of hacluster.scheduler.op_digest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hacluster.common import duration_ms, is_true
from hacluster.common import xml_quoteattr as quoteattr
from hacluster.events import OpRequest
from hacluster.scheduler import op_digest, params_on_node

FEATURE_SET = "3.16.2"  # Pacemaker 2.1.5's, so the real tools read our status as theirs
DEFAULT_TIMEOUT_MS = 20_000
def nvpairs(element: Any, block: str) -> dict[str, str]:
    """Plain name/value pairs of `element`'s <block> children (rules are not evaluated)."""
    out: dict[str, str] = {}
    if element is None:
        return out
    for attrs in element.findall(block):
        for pair in attrs.findall("nvpair"):
            name, value = pair.get("name"), pair.get("value")
            if name is not None and value is not None and name not in out:
                out[name] = value
    return out


def cluster_property(root: Any, name: str, default: str) -> str:
    props = nvpairs(root.find("configuration/crm_config"), "cluster_property_set")
    return props.get(name, default)


def node_names(root: Any) -> dict[int, str]:
    """Node id -> uname from the nodes section."""
    out: dict[int, str] = {}
    for node in root.findall("configuration/nodes/node"):
        node_id, uname = node.get("id", ""), node.get("uname")
        if node_id.isdigit() and uname:
            out[int(node_id)] = uname
    return out


def find_primitive(root: Any, rsc_id: str) -> Any:
    base = rsc_id.split(":")[0]
    for prim in root.iterfind("configuration/resources//primitive"):
        if prim.get("id") == base:
            return prim
    return None


def monitor_ops(prim: Any, roles: tuple[str, ...]) -> list[tuple[int, int]]:
    """(interval_ms, timeout_ms) of the recurring monitors configured for these roles."""
    out = []
    for op in prim.iterfind("operations/op"):
        interval = duration_ms(op.get("interval"), 0)
        if op.get("name") == "monitor" and interval > 0 and op.get("role", "") in roles \
                and op.get("enabled", "true").lower() not in ("false", "0", "no"):
            out.append((interval, duration_ms(op.get("timeout"), DEFAULT_TIMEOUT_MS)))
    return sorted(out)


def recurring_target_rc(root: Any, rsc_id: str, task: str, interval_ms: int) -> int:
    """The rc a recurring op of `rsc_id` is expected to give, by the role it is configured
    for: 8 for the Promoted role's, 7 for a role=Stopped op, 0 otherwise."""
    prim = find_primitive(root, rsc_id)
    for op in prim.iterfind("operations/op") if prim is not None else ():
        if op.get("name") == task and duration_ms(op.get("interval"), 0) == interval_ms:
            role = op.get("role", "")
            return 8 if role in ("Master", "Promoted") else 7 if role == "Stopped" else 0
    return 0


def op_timeout_ms(root: Any, prim: Any, task: str, interval_ms: int) -> int:
    for op in prim.iterfind("operations/op"):
        if op.get("name") == task and duration_ms(op.get("interval"), 0) == interval_ms:
            if op.get("timeout") is not None:
                return duration_ms(op.get("timeout"), DEFAULT_TIMEOUT_MS)
    defaults = nvpairs(root.find("configuration/op_defaults"), "meta_attributes")
    return duration_ms(defaults.get("timeout"), DEFAULT_TIMEOUT_MS)


def op_request(root: Any, rsc_id: str, task: str, interval_ms: int,
               transition_key: str, node: str = "", now_s: int = 0,
               instance: str = "") -> OpRequest | None:
    """What the executor of `node` needs to run `task` of `rsc_id` (None: no such
    primitive); instance attribute sets with rules are evaluated for that node.
    `instance` is the clone instance's own id when `rsc_id` is the plain id it runs under
    (an anonymous clone's), for its CRM_meta_clone number."""
    prim = find_primitive(root, rsc_id)
    if prim is None:
        return orphan_op_request(root, rsc_id, task, interval_ms, transition_key)
    timeout = op_timeout_ms(root, prim, task, interval_ms)
    params = tuple(sorted(params_on_node(root, prim, node, now_s).items()))
    meta = [("timeout", str(timeout)), ("interval", str(interval_ms))]
    numbered = instance if ":" in instance else rsc_id
    if ":" in numbered:
        meta.append(("clone", numbered.split(":", 1)[1]))
    meta += clone_meta(root, prim)
    return OpRequest(rsc_id, prim.get("class", "ocf"), prim.get("provider", ""),
                     prim.get("type", ""), task, interval_ms, timeout, params, tuple(meta),
                     transition_key)


def clone_meta(root: Any, prim: Any) -> list[tuple[str, str]]:
    """The clone's meta attributes Pacemaker passes to every op of one of its instances
    (CRM_meta_clone_max, clone_node_max, globally_unique, notify; for a promotable clone
    promoted_max/promoted_node_max and their older master_* names), defaults filled in
    as the real crm_simulate -G shows them; none outside a clone."""
    clone = prim.getparent()
    if clone is not None and clone.tag == "group":
        clone = clone.getparent()
    if clone is None or clone.tag not in ("clone", "master"):
        return []
    meta = {**nvpairs(root.find("configuration/rsc_defaults"), "meta_attributes"),
            **nvpairs(clone, "meta_attributes")}
    nodes = len(root.findall("configuration/nodes/node"))
    out = [("clone_max", meta.get("clone-max", str(nodes))),
           ("clone_node_max", meta.get("clone-node-max", "1")),
           ("globally_unique", str(is_true(meta.get("globally-unique"))).lower()),
           ("notify", str(is_true(meta.get("notify"))).lower())]
    if clone.tag == "master" or is_true(meta.get("promotable")):
        most = meta.get("promoted-max", meta.get("master-max", "1"))
        per_node = meta.get("promoted-node-max", meta.get("master-node-max", "1"))
        out += [("promoted_max", most), ("promoted_node_max", per_node),
                ("master_max", most), ("master_node_max", per_node)]
    return out


def orphan_op_request(root: Any, rsc_id: str, task: str, interval_ms: int,
                      transition_key: str) -> OpRequest | None:
    """An op of a resource gone from the configuration but still in some node's history
    (an orphan the scheduler stops): the agent its lrm_resource names, no parameters, as
    Pacemaker's controller runs it. None when no history names it either."""
    for rsc in root.iterfind("status/node_state/lrm/lrm_resources/lrm_resource"):
        if rsc.get("id") == rsc_id and rsc.get("type"):
            return OpRequest(rsc_id, rsc.get("class", "ocf"), rsc.get("provider", ""),
                             rsc.get("type", ""), task, interval_ms, DEFAULT_TIMEOUT_MS, (),
                             (("timeout", str(DEFAULT_TIMEOUT_MS)),
                              ("interval", str(interval_ms))), transition_key)
    return None


def digest_of(op: OpRequest) -> str:
    """The op-digest the scheduler recomputes: the parameters, plus the timeout for a
    recurring op (Pacemaker keeps CRM_meta_timeout in recurring digests only)."""
    params = dict(op.params)
    if op.interval_ms > 0:
        params["CRM_meta_timeout"] = str(op.timeout_ms)
    return op_digest(params)


def transition_key(action_id: int, transition_id: int, target_rc: int, dc_uuid: str) -> str:
    return f"{action_id}:{transition_id}:{target_rc}:{dc_uuid}"


def target_rc_of(key: str) -> int | None:
    parts = key.split(":")
    if len(parts) < 4 or not parts[2].lstrip("-").isdigit():
        return None
    return int(parts[2])


def attrs_xml(tag: str, attrs: Mapping[str, str], inner: str = "") -> str:
    text = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{text}>{inner}</{tag}>" if inner else f"<{tag}{text}/>"


def sanitize_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", ".", text)


def fail_attr_xml(node_id: str, pairs: Mapping[str, str]) -> str:
    """<node_state> holding these transient attributes of one node (attrd's layout)."""
    inner = "".join(attrs_xml("nvpair", {"id": sanitize_id(f"status-{node_id}-{name}"),
                                         "name": name, "value": value})
                    for name, value in sorted(pairs.items()))
    block = attrs_xml("instance_attributes", {"id": f"status-{node_id}"}, inner)
    return attrs_xml("transient_attributes", {"id": node_id}, block)


def transient_attrs(root: Any, node_id: str) -> dict[str, str]:
    for ns in root.iterfind("status/node_state"):
        if ns.get("id") == node_id:
            return nvpairs(ns.find("transient_attributes"), "instance_attributes")
    return {}


def node_state_of(root: Any, node_id: str) -> Any:
    for ns in root.iterfind("status/node_state"):
        if ns.get("id") == node_id:
            return ns
    return None

"""The `crm_simulate` library command: parse a CIB text, apply injections (node up/down/
fail, op results, quorum), run the scheduler, and return the transition and scores.

Owns turning simulation requests into CIB edits and scheduler calls. Must never print,
read files or read the clock: the CLI passes the text and `now_s` in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from hacluster.api import packed
from hacluster.api.packed import UNREAD_OP_ATTRS, too_large
from hacluster.cib import MAX_LOCAL_CIB_BYTES
from hacluster.common import Code, HaError, is_true
from hacluster.scheduler import (
    ClusterModel,
    GraphAction,
    Transition,
    op_digest,
    parse_iso_s,
    schedule_model,
    unpack,
)

__all__ = ["LEAN_ABOVE_BYTES", "UNREAD_OP_ATTRS", "Code", "Injections", "SimulationResult", "graph_xml", "live_root",
           "parse_cib_chunks",
           "parse_iso_s", "score_lines", "revised_status_view", "simulate", "simulate_root",
           "status_view"]


@dataclass(frozen=True, slots=True)
class Injections:
    """What crm_simulate's -u/-d/-f/-i/-F/-q options ask to change before scheduling."""

    node_up: tuple[str, ...] = ()
    node_down: tuple[str, ...] = ()
    node_fail: tuple[str, ...] = ()
    op_inject: tuple[str, ...] = ()
    op_fail: tuple[str, ...] = ()
    quorum: str | None = None


@dataclass(frozen=True, slots=True)
class SimulationResult:
    transition: Transition
    now_s: int
    used_execution_date: bool
    cib_root: Any
    model: ClusterModel | None = None  # the unpacked CIB, shared with the status view


def safe_parser() -> Any:
    """No entities, no network, no DTD; comments dropped. huge_tree: the file is the
    operator's own (bounded by MAX_LOCAL_CIB_BYTES), not a peer's."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           remove_comments=True, huge_tree=True)


def parse_cib_text(text: str | bytes, max_bytes: int = MAX_LOCAL_CIB_BYTES) -> Any:
    """A safe parse of a whole CIB text (see safe_parser)."""
    data = text.encode() if isinstance(text, str) else text
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    try:
        return etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise HaError.single(Code.CIB_XML_SYNTAX, f"the CIB is not well-formed XML: {exc}") \
            from exc


# Above this size a CIB file is parsed lean (api.packed): ~4x less memory for operation
# history, paid with slower reads of it (~1.5x the scheduling time), which only pays off
# when the tree would otherwise take gigabytes (32 nodes x 10k resources: 1.9 -> 0.66 GiB).
LEAN_ABOVE_BYTES = 64 * 1024 * 1024


def parse_cib_chunks(chunks: Iterable[bytes], max_bytes: int = MAX_LOCAL_CIB_BYTES,
                     lean: bool = False) -> Any:
    """parse_cib_text for a CIB fed piece by piece, never held whole (~200 MB less peak
    memory at 32 nodes x 10k resources); `lean` packs operation history (api.packed)."""
    return packed.parse_cib_chunks(chunks, max_bytes, lean)


def live_root(env: Any) -> Any:
    """crm_simulate -L: the CIB of `env` (api.env: the live cluster, or $CIB_file) as a
    root simulate_root takes over; the copy is parsed afresh, so injections never touch
    the source document."""
    return parse_cib_text(env.read().to_bytes(pretty=False))


def execution_date_s(root: Any) -> int | None:
    value = root.get("execution-date")
    if value is None or not value.strip().lstrip("-").isdigit():
        return None
    return int(value)


def simulate(text: str | bytes, now_s: int, injections: Injections | None = None,
             forced_now: bool = False) -> SimulationResult:
    """Schedule the CIB in `text`; 'now' is its execution-date if present (unless
    `forced_now`, crm_simulate -t), else `now_s`."""
    return simulate_root(parse_cib_text(text), now_s, injections, forced_now)


def simulate_root(root: Any, now_s: int, injections: Injections | None = None,
                  forced_now: bool = False) -> SimulationResult:
    """simulate() for an already parsed CIB root (parse_cib_chunks), which it takes over."""
    if injections is not None:
        apply_injections(root, injections)
    date = None if forced_now else execution_date_s(root)
    when = date if date is not None else now_s
    model = unpack(root, when, sanitized=True)
    return SimulationResult(schedule_model(model), when, date is not None, root, model)


def node_state(root: Any, name: str) -> Any:
    status = root.find("status")
    if status is None:
        status = etree.SubElement(root, "status")
    for ns in status.findall("node_state"):
        if ns.get("uname") == name or ns.get("id") == name:
            return ns
    node_id = name
    nodes = root.find("configuration/nodes")
    for node in (nodes if nodes is not None else []):
        if node.get("uname") == name:
            node_id = node.get("id", name)
    return etree.SubElement(status, "node_state", id=node_id, uname=name)


def apply_injections(root: Any, inj: Injections) -> None:
    for name in inj.node_up:
        node_state(root, name).attrib.update(
            {"in_ccm": "true", "crmd": "online", "join": "member", "expected": "member"})
    for name in inj.node_down:
        ns = node_state(root, name)
        ns.attrib.update(
            {"in_ccm": "false", "crmd": "offline", "join": "down", "expected": "down"})
        for lrm in ns.findall("lrm"):
            ns.remove(lrm)  # a node taken down cleanly forgets what it ran, as crm_simulate does
    for name in inj.node_fail:
        node_state(root, name).attrib.update(
            {"in_ccm": "false", "crmd": "online", "join": "member", "expected": "member"})
    if inj.quorum is not None:
        root.set("have-quorum", "1" if is_true(inj.quorum) else "0")
    for spec in inj.op_inject + inj.op_fail:
        inject_op(root, spec, failed=spec in inj.op_fail)


def inject_op(root: Any, spec: str, failed: bool) -> None:
    """`${resource}_${task}_${interval_in_ms}@${node}=${rc}` as crm_simulate takes it."""
    try:
        key, rc_text = spec.rsplit("=", 1) if "=" in spec else (spec, "1" if failed else "0")
        op_key, node = key.rsplit("@", 1)
        rsc_task, interval = op_key.rsplit("_", 1)
        rsc, task = rsc_task.rsplit("_", 1)
        rc = int(rc_text)
    except ValueError as exc:
        raise HaError.single(Code.USAGE, f"invalid operation spec '{spec}'") from exc
    ns = node_state(root, node)
    lrm = ns.find("lrm") if ns.find("lrm") is not None else etree.SubElement(ns, "lrm", id=node)
    rscs = lrm.find("lrm_resources")
    if rscs is None:
        rscs = etree.SubElement(lrm, "lrm_resources")
    entry = next((r for r in rscs.findall("lrm_resource") if r.get("id") == rsc), None)
    if entry is None:
        entry = etree.SubElement(rscs, "lrm_resource", id=rsc)
    calls = [int(o.get("call-id", "0")) for o in entry.findall("lrm_rsc_op")]
    target = 7 if task == "monitor" and interval == "0" and rc == 7 else 0
    etree.SubElement(entry, "lrm_rsc_op", {
        "id": f"{rsc}_{task}_{interval}", "operation": task, "interval": interval,
        "rc-code": str(rc), "op-status": "0", "call-id": str(max(calls, default=0) + 1),
        "transition-key": f"0:0:{target}:inject",
        "op-digest": op_digest(params_of(root, rsc))})


def params_of(root: Any, rsc: str) -> dict[str, str]:
    """The configured instance attributes of primitive `rsc` (or of its clone base)."""
    base = rsc.split(":")[0]
    for prim in root.iter("primitive"):
        if prim.get("id") == base:
            return {p.get("name"): p.get("value") for block in prim.findall("instance_attributes")
                    for p in block.findall("nvpair") if p.get("name") and p.get("value")}
    return {}


def score_lines(result: SimulationResult) -> list[str]:
    return list(result.transition.score_lines)


def status_view(result: SimulationResult) -> Any:
    """The status view of the simulated CIB (rendered by the CLI). Built from the model
    the scheduler already unpacked: no second serialize, parse and unpack of the CIB."""
    from hacluster.api import status

    model = result.model if result.model is not None else unpack(result.cib_root, result.now_s, sanitized=True)
    return status.status_view(model, result.cib_root, history=False)


def revised_status_view(result: SimulationResult, current: Any = None) -> Any:
    """The status view after every action of the transition succeeded; `current` is
    status_view(result) when the caller already has it."""
    from hacluster.api import revised

    view = current if current is not None else status_view(result)
    return revised.revised_view(view, result.transition.action_tuples())


def graph_xml(result: SimulationResult) -> str:
    """The transition graph in Pacemaker's <transition_graph> shape; each trigger names
    the action it waits for (operation, key, node), as the real graph does."""
    graph = etree.Element("transition_graph", {"transition_id": "0"})
    by_id = {syn.id: syn.action for syn in result.transition.synapses}
    for syn in result.transition.synapses:
        el = etree.SubElement(graph, "synapse", {"id": str(syn.id)})
        holder = etree.SubElement(el, "action_set")
        etree.SubElement(holder, event_tag(syn.action), event_attrs(syn.action))
        inputs = etree.SubElement(el, "inputs")
        for i in syn.inputs:
            trigger = etree.SubElement(inputs, "trigger")
            etree.SubElement(trigger, event_tag(by_id[i]), event_attrs(by_id[i]))
    return etree.tostring(graph, pretty_print=True).decode()


def event_tag(a: GraphAction) -> str:
    return "pseudo_event" if a.pseudo else ("crm_event" if a.rsc is None else "rsc_op")


def event_attrs(a: GraphAction) -> dict[str, str]:
    attrs = {"id": str(a.id), "operation": a.task, "operation_key": a.key}
    if a.node:
        attrs["on_node"] = a.node
    return attrs

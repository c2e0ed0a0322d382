"""The notification variables a clone instance's `notify` action gets, as Pacemaker's
scheduler puts them in the graph (OCF_RESKEY_CRM_meta_notify_*).

Owns the lists, computed by the DC from the transition it runs and the CIB it ran it on:
which instances are active before (those that get a pre-notification), inactive, and being
started, stopped, promoted or demoted (and where), which active ones are promoted
(`master`/`promoted`) or not (`slave`/`unpromoted`, promotable clones only), every node
(`all_uname`, `available_uname`), and `notify_type`/`notify_operation` with their
`key_` forms. An empty list is one space, as Pacemaker writes it. Our scheduler notifies
once before and once after all of a clone's changes; Pacemaker notifies per operation, so
when several kinds change at once the operation named is the first of stop, demote,
promote, start (the rest still appear in their lists). Must never do I/O. Spec: Pacemaker
Explained "Clone Resource Agent Requirements" (notifications); checked against the graph
(-G) of the real crm_simulate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hacluster.common import is_true
from hacluster.controller.records import node_names, nvpairs

OPERATIONS = ("stop", "demote", "promote", "start")
POST_KEYS = (("start", "running"), ("stop", "stopped"), ("promote", "promoted"),
             ("demote", "demoted"))
LISTS = ("active", "inactive", "start", "stop", "promote", "demote", "master", "slave",
         "promoted", "unpromoted")


def notify_meta(root: Any, actions: Iterable[Any], action: Any) -> tuple[tuple[str, str], ...]:
    """The notify_* meta of `action` (a pre_notify/post_notify graph action) among
    `actions`, the transition's graph actions."""
    base = str(action.rsc).split(":")[0]
    mine = [a for a in actions if a.rsc is not None and a.node is not None
            and str(a.rsc).split(":")[0] == base]
    kind = "pre" if str(action.task).startswith("pre") else "post"
    pairs: dict[str, list[tuple[str, str]]] = {name: [] for name in LISTS}
    for a in mine:
        if a.task in OPERATIONS:
            pairs[a.task].append((str(a.rsc), str(a.node)))
        elif a.task == "pre_notify":
            pairs["active"].append((str(a.rsc), str(a.node)))
    clone = clone_of(root, base)
    promotable = clone is not None and (clone.tag == "master" or is_true(
        nvpairs(clone, "meta_attributes").get("promotable")))
    if promotable:
        for rsc, node in pairs["active"]:
            role = "promoted" if is_promoted_on(root, node, rsc, base) else "unpromoted"
            pairs[role].append((rsc, node))
    pairs["master"], pairs["slave"] = pairs["promoted"], pairs["unpromoted"]
    names = sorted(node_names(root).values())
    active = {rsc for rsc, _ in pairs["active"]}
    pairs["inactive"] = [(f"{base}:{n}", "") for n in range(clone_max(clone, len(names)))
                         if f"{base}:{n}" not in active]
    changing = [op for op in OPERATIONS if pairs[op]]
    operation = changing[0] if changing else "start"
    out = {"notify_type": kind, "notify_operation": operation, "notify_key_type": kind,
           "notify_key_operation": operation if kind == "pre" else dict(POST_KEYS)[operation],
           "notify_all_uname": " ".join(names) or " ",
           "notify_available_uname": " ".join(names) or " "}
    for name in LISTS:
        ordered = sorted(set(pairs[name]), key=lambda p: (instance_number(p[0]), p))
        out[f"notify_{name}_resource"] = " ".join(r for r, _ in ordered) or " "
        if name != "inactive":
            out[f"notify_{name}_uname"] = " ".join(n for _, n in ordered) or " "
    return tuple(sorted(out.items()))


def instance_number(rsc: str) -> int:
    number = rsc.rsplit(":", 1)[-1]
    return int(number) if ":" in rsc and number.isdigit() else -1


def clone_of(root: Any, base: str) -> Any:
    """The clone (or master) element holding primitive `base`, directly or in a group."""
    for clone in root.iterfind("configuration/resources/*"):
        if clone.tag in ("clone", "master") and any(
                p.get("id") == base for p in clone.iter("primitive")):
            return clone
    return None


def clone_max(clone: Any, nodes: int) -> int:
    value = nvpairs(clone, "meta_attributes").get("clone-max") if clone is not None else None
    return int(value) if value is not None and value.isdigit() else nodes


def is_promoted_on(root: Any, uname: str, rsc: str, base: str) -> bool:
    """Does `uname`'s recorded history show the instance promoted (a promote, or a
    monitor finding it promoted, as its last one-shot result)?"""
    for state in root.iterfind("status/node_state"):
        if state.get("uname") != uname:
            continue
        for entry in state.iterfind("lrm/lrm_resources/lrm_resource"):
            if entry.get("id") not in (rsc, base):
                continue
            for op in entry.iterfind("lrm_rsc_op"):
                if op.get("id", "").endswith("_last_0"):
                    rc, task = str(op.get("rc-code")), str(op.get("operation"))
                    return rc == "8" or (task == "promote" and rc == "0")
    return False

"""The text of pcs 0.11's `resource config` and `stonith config` listings.

Owns the layout, as the real pcs 0.11 prints it (checked by tests/differential/
test_pcs_layouts.py): primitives, then groups, then clones, then bundles (document order;
sorted by id when ids were asked for); per resource its description, the first
instance/meta/utilization set with its pairs sorted by name, and each operation's fields one
per line in a fixed order; values holding a space or "=" are quoted.
Must never read the CIB: hacluster.api.resource_view's values come in.
"""

from __future__ import annotations

from collections.abc import Sequence

from hacluster.api import resource_view
from hacluster.common import parse_boolean

STEP = "  "
KIND_ORDER = ("primitive", "group", "clone", "bundle")
SET_TITLES = (("instance_attributes", "Attributes"), ("meta_attributes", "Meta Attributes"),
              ("utilization", "Utilization"))
BOOLEAN_OP_FIELDS = frozenset({"enabled", "record-pending"})


def quote(text: str) -> str:
    """pcs's quoting: only a text holding a space or "=" is quoted, with double quotes
    unless it holds one, then single quotes, else escaped double quotes."""
    if not {" ", "="} & set(text):
        return text
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', '\\"') + '"'


def pair_lines(pairs: resource_view.Pairs) -> list[str]:
    return [f"{quote(name)}={quote(value)}" for name, value in pairs]


def indented(lines: Sequence[str]) -> list[str]:
    return [STEP + line if line else line for line in lines]


def set_lines(config: resource_view.ResourceConfig) -> list[str]:
    lines: list[str] = []
    for tag, title in SET_TITLES:
        first = next((s for s in config.sets if s.tag == tag), None)
        if first is not None and first.pairs:
            lines.append(f"{title}: {first.id}")
            lines += indented(pair_lines(tuple(sorted(first.pairs))))
    return lines


def op_fields(attrs: resource_view.Pairs) -> resource_view.Pairs:
    """The fields pcs shows of an op, in its order; booleans as 1/0."""
    named = dict(attrs)
    order = ["interval", "start-delay" if named.get("start-delay") else "interval-origin",
             "timeout", "enabled", "record-pending", "role", "on-fail", "OCF_CHECK_LEVEL"]
    fields: list[tuple[str, str]] = []
    for name in order:
        value = named.get(name)
        if name == "interval" and value is None:
            value = "0s"
        if value is None or (value == "" and name != "interval"):
            continue
        if name in BOOLEAN_OP_FIELDS:
            value = "1" if parse_boolean(value) else "0"
        fields.append((name, value))
    return tuple(fields)


def primitive_lines(config: resource_view.ResourceConfig) -> list[str]:
    attrs = dict(config.attributes)
    agent = " ".join(f"{k}={attrs[k]}" for k in ("class", "provider", "type") if k in attrs)
    body = [f"Description: {attrs['description']}"] if attrs.get("description") else []
    body += set_lines(config)
    if config.operations:
        ops: list[str] = []
        for op_id, op_attrs in config.operations:
            ops.append(f"{dict(op_attrs).get('name', '')}: {op_id}")
            ops += indented(pair_lines(op_fields(op_attrs)))
        body += ["Operations:", *indented(ops)]
    return [f"Resource: {config.id} ({agent})", *indented(body)]


def kind_of(config: resource_view.ResourceConfig) -> str:
    return "clone" if config.tag == "master" else config.tag


def config_lines(config: resource_view.ResourceConfig) -> list[str]:
    """One resource with what it holds, as pcs prints it."""
    if config.tag == "primitive":
        return primitive_lines(config)
    attrs = dict(config.attributes)
    body = [f"Description: {attrs['description']}"] if attrs.get("description") else []
    body += set_lines(config)
    for child in config.children:
        body += config_lines(child)
    return [f"{kind_of(config).capitalize()}: {config.id}", *indented(body)]


def listing(configs: Sequence[resource_view.ResourceConfig], by_id: bool) -> list[str]:
    """Resources grouped by kind (pcs's order), each kind in document order or by id."""
    lines: list[str] = []
    for kind in KIND_ORDER:
        chosen = [c for c in configs if kind_of(c) == kind]
        if by_id:
            chosen.sort(key=lambda c: c.id)
        for config in chosen:
            lines += config_lines(config)
    return lines

"""`crm`: crmsh's read-only commands, `crm status` and `crm configure show [ID...]`.

Owns the crm shell syntax of a configuration listing (node, primitive with params/meta/op,
group, clone, location with scores or rules, colocation, order, property, rsc_defaults,
op_defaults) from the api's plain views, and `crm status`, which is crm_mon's one-shot text.
Anything that would change the CIB is refused with a pointer to pcs. Must never read XML.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Sequence
from types import MappingProxyType

from hacluster.api import constraint, property, resource_layout, resource_view, status
from hacluster.api import env as api_env
from hacluster.cli import render
from hacluster.common import ExitStatus, HaError

SCORES = MappingProxyType({"INFINITY": "inf", "+INFINITY": "inf", "-INFINITY": "-inf"})
USAGE = "usage: crm status | crm configure show [<id>...]"


def score(text: str) -> str:
    return SCORES.get(text, text)


def pairs(values: Sequence[tuple[str, str]]) -> str:
    """k=v words, quoted when needed; a "password" shown as ****** as crm shows it."""
    shown = [(k, "******" if k == "password" else v) for k, v in values]
    return " ".join(f'{k}="{quoted(v)}"' if not v or any(c in v for c in ' "/:=')
                    or k == "password" else f"{k}={v}" for k, v in shown)


def quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def crm_expression(text: str) -> str:
    """pcs's "attr lte number 0" in crm's words: "attr number:lte 0"."""
    parts = []
    for word in re.split(r"( and | or )", text):
        words = word.split()
        if len(words) == 4 and words[2] in ("string", "integer", "number", "version"):
            kind = "" if words[2] == "string" else f"{words[2]}:"
            word = f"{words[0]} {kind}{words[1]} {words[3]}"
        elif len(words) > 3 and words[0] == "date":  # a date with a time: quoted
            word = f'{words[0]} {words[1]} "{" ".join(words[2:])}"'
        parts.append(word)
    return "".join(parts)


def resource_block(config: resource_view.ResourceConfig) -> list[str]:
    attrs = dict(config.attributes)
    parts: list[str] = []
    if config.tag == "primitive":
        agent = ":".join(a for a in (attrs.get("class"), attrs.get("provider"),
                                     attrs.get("type")) if a)
        if agent.startswith("ocf:heartbeat:"):  # crm names heartbeat's agents by type
            agent = agent.split(":")[-1]
        head = f"primitive {config.id} {agent}"
    else:
        kind = {"master": "ms"}.get(config.tag, config.tag)
        head = f"{kind} {config.id} " + " ".join(c.id for c in config.children)
    for nvs in config.sets:
        if nvs.tag != "utilization":
            word = {"instance_attributes": "params", "meta_attributes": "meta"}[nvs.tag]
            parts.append(f"{word} {pairs(nvs.pairs)}")
    for _, op_attrs in config.operations:
        named = dict(op_attrs)
        name = named.pop("name", "")
        parts.append(f"op {name} {pairs(tuple(named.items()))}".rstrip())
    parts += [f"utilization {pairs(nvs.pairs)}" for nvs in config.sets
              if nvs.tag == "utilization"]
    return continued(head.rstrip(), parts)


def continued(head: str, parts: Sequence[str]) -> list[str]:
    """crm's multi-line form: the head, then each part on a tab-indented line, joined by
    trailing backslashes."""
    lines = [head + (" \\" if parts else "")]
    return lines + [f"\t{p}" + (" \\" if i < len(parts) - 1 else "")
                    for i, p in enumerate(parts)]


KIND_ORDER = MappingProxyType({"primitive": 0, "group": 1, "clone": 2, "master": 3})


def every_resource(configs: Sequence[resource_view.ResourceConfig]
                   ) -> list[resource_view.ResourceConfig]:
    """Each resource once, children included, in crm's order: primitives, groups, clones,
    then ms, each kind sorted by id."""
    found: list[resource_view.ResourceConfig] = []
    todo = list(configs)
    while todo:
        config = todo.pop()
        found.append(config)
        todo += config.children
    return sorted(found, key=lambda c: (KIND_ORDER.get(c.tag, 4), c.id))


def node_blocks(env: api_env.CIBEnvironment) -> list[str]:
    lines = []
    for node_id, name, sets in property.node_entries(env):
        parts = [f"{word} {pairs(found)}" for word, found in sets if found]
        lines += continued(f"node {node_id}: {name}", parts)
    return lines


def constraint_line(view: constraint.ConstraintView) -> str:
    attrs = dict(view.attributes)
    if view.tag == "rsc_location":
        if view.rule:
            rule = view.rule.split(" (id:")[0].replace("score=", "")
            head, _, expression = rule.partition(" ")
            role = f" role={attrs['role']}" if attrs.get("role") else ""
            return (f"location {view.id} {attrs['rsc']}{role} \\\n\trule {score(head)}: "
                    f"{crm_expression(expression)}")
        return f"location {view.id} {attrs['rsc']} {score(attrs.get('score', '0'))}: " \
               f"{attrs.get('node', '')}"
    if view.tag == "rsc_colocation":
        rsc = attrs.get("rsc", "") + (f":{attrs['rsc-role']}" if attrs.get("rsc-role") else "")
        with_rsc = attrs.get("with-rsc", "") + (f":{attrs['with-rsc-role']}"
                                                if attrs.get("with-rsc-role") else "")
        return f"colocation {view.id} {score(attrs.get('score', 'INFINITY'))}: {rsc} {with_rsc}"
    if view.tag == "rsc_order":
        kind = attrs.get("kind") or score(attrs.get("score", "Mandatory"))
        first = attrs.get("first", "") + (f":{attrs['first-action']}"
                                          if attrs.get("first-action") else "")
        then = attrs.get("then", "") + (f":{attrs['then-action']}"
                                        if attrs.get("then-action") else "")
        return f"order {view.id} {kind}: {first} {then}"
    return f"rsc_ticket {view.id} {pairs(view.attributes)}"


def configure_show(env: api_env.CIBEnvironment, ids: Sequence[str]) -> list[str]:
    lines: list[str] = [] if ids else node_blocks(env)
    for config in every_resource(resource_view.resources(env, tuple(ids))):
        lines += resource_block(config)
    if ids:
        return lines
    lines += [constraint_line(v) for v in sorted(constraint.config(env), key=lambda v: v.id)]
    current = ""
    for set_id, name, value in property.configured(env):
        if set_id != current:
            lines.append(f"property {set_id}:")
            current = set_id
        lines[-1] += " \\"
        lines.append(f"\t{name}={value}")
    for section in resource_layout.DEFAULTS_SECTIONS:
        found = resource_layout.defaults(env, section)
        if found:
            set_id = resource_layout.defaults_set_id(env, section)
            lines.append(f"{section} {set_id}: \\")
            lines += [f"\t{k}={v}" + (" \\" if i < len(found) - 1 else "")
                      for i, (k, v) in enumerate(found)]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    env = api_env.environment(client_name="crm")
    try:
        if words[:1] == ["status"]:
            now_s = int(time.time())
            view = status.status_of(env, now_s)
            print("\n".join(render.render_crm_mon(view, now_s, inactive=True)))
            print()  # crm ends its status with an empty line
            return 0
        if words[:2] == ["configure", "show"]:
            print("\n".join(configure_show(env, words[2:])))
            return 0
    except HaError as error:
        for problem in error.problems:
            print(f"ERROR: {problem.message}", file=sys.stderr)
        return int(ExitStatus.ERROR)
    if words[:1] in (["-h"], ["--help"], ["help"]):
        print(USAGE)
        return 0
    print(f"ERROR: only 'crm status' and 'crm configure show' are available (use pcs to "
          f"change the configuration)\n{USAGE}", file=sys.stderr)
    return int(ExitStatus.ERROR)


if __name__ == "__main__":
    sys.exit(main())

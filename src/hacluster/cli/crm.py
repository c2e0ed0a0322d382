"""`crm`: crmsh's read-only commands, `crm status` and `crm configure show [ID...]`.

Owns the crm shell syntax of a configuration listing (node, primitive with params/meta/op,
group, clone, location with scores or rules, colocation, order, property, rsc_defaults,
op_defaults) from the api's plain views, and `crm status`, which is crm_mon's one-shot text.
Anything that would change the CIB is refused with a pointer to pcs. Must never read XML.
"""

from __future__ import annotations

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
    return " ".join(f'{k}="{v}"' if " " in v or not v else f"{k}={v}" for k, v in values)


def resource_block(config: resource_view.ResourceConfig) -> list[str]:
    attrs = dict(config.attributes)
    parts: list[str] = []
    if config.tag == "primitive":
        agent = ":".join(a for a in (attrs.get("class"), attrs.get("provider"),
                                     attrs.get("type")) if a)
        head = f"primitive {config.id} {agent}"
    else:
        kind = {"master": "ms"}.get(config.tag, config.tag)
        head = f"{kind} {config.id} " + " ".join(c.id for c in config.children)
    for nvs in config.sets:
        word = {"instance_attributes": "params", "meta_attributes": "meta",
                "utilization": "utilization"}[nvs.tag]
        parts.append(f"{word} {pairs(nvs.pairs)}")
    for _, op_attrs in config.operations:
        named = dict(op_attrs)
        name = named.pop("name", "")
        parts.append(f"op {name} {pairs(tuple(named.items()))}".rstrip())
    lines = [head.rstrip() + (" \\" if parts else "")]
    lines += [f"\t{p}" + (" \\" if i < len(parts) - 1 else "") for i, p in enumerate(parts)]
    blocks = list(config.children)
    return [line for child in blocks for line in resource_block(child)] + lines


def constraint_line(view: constraint.ConstraintView) -> str:
    attrs = dict(view.attributes)
    if view.tag == "rsc_location":
        if view.rule:
            rule = view.rule.split(" (id:")[0].replace("score=", "")
            head, _, expression = rule.partition(" ")
            return f"location {view.id} {attrs['rsc']} \\\n\trule {score(head)}: {expression}"
        return f"location {view.id} {attrs['rsc']} {score(attrs.get('score', '0'))}: " \
               f"{attrs.get('node', '')}"
    if view.tag == "rsc_colocation":
        return (f"colocation {view.id} {score(attrs.get('score', 'INFINITY'))}: "
                f"{attrs.get('rsc', '')} {attrs.get('with-rsc', '')}")
    if view.tag == "rsc_order":
        kind = attrs.get("kind") or score(attrs.get("score", "Mandatory"))
        first = attrs.get("first", "") + (f":{attrs['first-action']}"
                                          if attrs.get("first-action", "start") != "start"
                                          else "")
        then = attrs.get("then", "") + (f":{attrs['then-action']}"
                                        if attrs.get("then-action", "start") != "start" else "")
        return f"order {view.id} {kind}: {first} {then}"
    return f"rsc_ticket {view.id} {pairs(view.attributes)}"


def configure_show(env: api_env.CIBEnvironment, ids: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for config in resource_view.resources(env, tuple(ids)):
        lines += resource_block(config)
    if ids:
        return lines
    lines += [constraint_line(v) for v in constraint.config(env)]
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
            lines.append(f"{section} {section.split('_')[0]}-options: \\")
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

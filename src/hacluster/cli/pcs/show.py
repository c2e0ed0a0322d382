"""Text of pcs 0.11's configuration listings: resource config, constraint config,
property config, utilization. Must never read the CIB itself: api views come in.
"""

from __future__ import annotations

import dataclasses
import json
from types import MappingProxyType

from hacluster.api import constraint, property, resource_view
from hacluster.cli.pcs.common import Options

SET_TITLES = MappingProxyType({"instance_attributes": "Attributes", "meta_attributes": "Meta Attributes",
              "utilization": "Utilization"})


def pairs_text(pairs: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{k}={v}" for k, v in pairs)


def resource_lines(config: resource_view.ResourceConfig, indent: str = "") -> list[str]:
    attrs = dict(config.attributes)
    if config.tag == "primitive":
        agent = " ".join(f"{k}={attrs[k]}" for k in ("class", "provider", "type") if k in attrs)
        lines = [f"{indent}Resource: {config.id} ({agent})"]
    else:
        lines = [f"{indent}{config.tag.capitalize()}: {config.id}"]
    for nvs in config.sets:
        lines.append(f"{indent}  {SET_TITLES[nvs.tag]}: {nvs.id}")
        lines += [f"{indent}    {k}={v}" for k, v in nvs.pairs]
    if config.operations:
        lines.append(f"{indent}  Operations:")
        for op_id, op_attrs in config.operations:
            named = dict(op_attrs)
            lines.append(f"{indent}    {named.pop('name', '')}: {op_id}")
            lines.append(f"{indent}      {pairs_text(tuple(named.items()))}")
    for child in config.children:
        lines += resource_lines(child, indent + "  ")
    return lines


def is_json(options: Options) -> bool:
    return options.values.get("--output-format") == "json"


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2, sort_keys=False, default=str))


def resource_config(words: list[str], options: Options) -> int:
    configs = resource_view.resources(options.env(), tuple(words))
    if is_json(options):
        print_json([dataclasses.asdict(c) for c in configs])
        return 0
    for config in configs:
        print("\n".join(resource_lines(config)))
    return 0


def print_utilization(env: object, rid: str) -> None:
    assert hasattr(env, "read")
    configs = resource_view.resources(env, (rid,) if rid else ())  # type: ignore[arg-type]
    print("Resource Utilization:")
    for config in configs:
        for nvs in config.sets:
            if nvs.tag == "utilization":
                print(f" {config.id}: {pairs_text(nvs.pairs)}")


TITLES = MappingProxyType({"rsc_location": "Location Constraints:", "rsc_colocation": "Colocation Constraints:",
          "rsc_order": "Ordering Constraints:", "rsc_ticket": "Ticket Constraints:"})


def constraint_config(words: list[str], options: Options) -> int:
    views = constraint.config(options.env())
    if is_json(options):
        print_json([{"type": v.tag, "id": v.id, **dict(v.attributes), "rule": v.rule}
                    for v in views])
        return 0
    for tag, title in TITLES.items():
        chosen = [v for v in views if v.tag == tag]
        if not chosen:
            continue
        print(title)
        for item in chosen:
            attrs = " ".join(f"{k}={v}" for k, v in item.attributes)
            print(f"  {attrs} (id:{item.id})")
            if item.rule:
                print(f"    Rule: {item.rule}")
    return 0


def property_config(words: list[str], options: Options) -> int:
    rows = property.configured(options.env())
    if is_json(options):
        print_json([{"set": set_id, "name": name, "value": value}
                    for set_id, name, value in rows if not words or name in words])
        return 0
    shown_set = ""
    for set_id, name, value in rows:
        if set_id != shown_set:
            print(f"Cluster Properties: {set_id}")
            shown_set = set_id
        if not words or name in words:
            print(f"  {name}={value}")
    if options.has("--all") or options.has("--defaults"):
        configured = {name for _, name, _ in rows}
        for name, option in sorted(property.OPTIONS.items()):
            if name not in configured:
                print(f"  {name}={option.default} (default)")
    return 0

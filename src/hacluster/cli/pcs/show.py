"""Text of pcs 0.11's configuration listings: resource config, constraint config,
property config, utilization. Must never read the CIB itself: api views come in.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

from hacluster.api import constraint, constraint_view, property, resource_view
from hacluster.cli.pcs import constraint_text, resource_text
from hacluster.cli.pcs.common import Options, Usage
from hacluster.common import Code, HaError


def pairs_text(pairs: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{k}={v}" for k, v in pairs)


def is_json(options: Options) -> bool:
    return options.values.get("--output-format") == "json"


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2, sort_keys=False, default=str))


def resource_config(words: list[str], options: Options, stonith: bool = False) -> int:
    """`pcs resource config [id...]` (`stonith config [id...]`: the fencing devices)."""
    env = options.env()
    label = "stonith device" if stonith else "resource"
    if words:
        found, missing = resource_view.resources_found(env, tuple(words))
        missing += [c.id for c in found if resource_view.is_stonith(c) != stonith]
        configs = [c for c in found if c.id not in missing]
        for rid in (w for w in dict.fromkeys(words) if w in missing):
            print(f"Warning: Unable to find {label} '{rid}'", file=sys.stderr)
        if not configs:
            raise HaError.single(Code.RSC_NOT_FOUND, f"No {label} found")
    else:
        configs = [c for c in resource_view.resources(env)
                   if resource_view.is_stonith(c) == stonith]
    if is_json(options):
        print_json([dataclasses.asdict(c) for c in configs])
        return 0
    lines = resource_text.listing(configs, by_id=bool(words))
    if lines:
        print("\n".join(lines))
    return 0


def stonith_config(words: list[str], options: Options) -> int:
    return resource_config(words, options, stonith=True)


def print_utilization(env: object, rid: str) -> None:
    assert hasattr(env, "read")
    configs = resource_view.resources(env, (rid,) if rid else ())  # type: ignore[arg-type]
    print("Resource Utilization:")
    for config in configs:
        for nvs in config.sets:
            if nvs.tag == "utilization":
                print(f" {config.id}: {pairs_text(nvs.pairs)}")


ALL_KINDS = ("rsc_location", "rsc_order", "rsc_colocation", "rsc_ticket")


def constraint_config(words: list[str], options: Options,
                      kinds: tuple[str, ...] = ALL_KINDS) -> int:
    """`pcs constraint [config]`, or one kind's listing (`constraint order [config]`...)."""
    if is_json(options):
        views = constraint.config(options.env())
        print_json([{"type": v.tag, "id": v.id, **dict(v.attributes), "rule": v.rule}
                    for v in views if v.tag in kinds])
        return 0
    trees = constraint_view.constraint_views(options.env(), int(time.time()))
    print("\n".join(constraint_text.config_lines(trees, options.has("--full"),
                                                 options.has("--all"), kinds)))
    return 0


def property_config(words: list[str], options: Options) -> int:
    """pcs 0.11: every configured property (the last value of a name wins), sorted by name;
    one named property (its default when it is not set); --all adds the defaults of the
    unset ones, --defaults shows the defaults only."""
    if len(words) > 1:
        raise Usage("property config", "config [<property> | --all | --defaults]")
    if options.has("--all") and options.has("--defaults"):
        raise HaError.single(Code.USAGE, "you cannot specify both --all and --defaults")
    if words and (options.has("--all") or options.has("--defaults")):
        raise HaError.single(Code.USAGE, "you cannot specify a property when using --all or "
                             "--defaults")
    rows = property.configured(options.env())
    if is_json(options):
        print_json([{"set": set_id, "name": name, "value": value}
                    for set_id, name, value in rows if not words or name in words])
        return 0
    defaults = property.defaults()
    shown = dict(defaults) if options.has("--all") or options.has("--defaults") else {}
    if not options.has("--defaults"):
        shown.update((name, value) for _, name, value in rows
                     if not words or name == words[0])
    if words and not shown and words[0] in defaults:
        shown[words[0]] = defaults[words[0]]
    print("Cluster Properties:")
    for name, value in sorted(shown.items()):
        print(f" {name}: {value}")
    return 0

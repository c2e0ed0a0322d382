"""Cluster properties (crm_config) and permanent node attributes (the nodes section).

Owns `pcs property set/unset/config`, `pcs node standby/maintenance/attribute/utilization`
and the crm_attribute writes to crm_config and nodes: the known cluster options with their
value types and defaults (Pacemaker Explained, "Cluster Options"), and pcs's ids
(cib-bootstrap-options-<name>, nodes-<node id>-<name>). Must never print or parse command lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

from hacluster.api import cibedit
from hacluster.api.cibedit import error
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.common import BOOLEAN_WORDS, Code, Problem

BOOLEANS = tuple(sorted(BOOLEAN_WORDS))
PROPERTY_SET = "cib-bootstrap-options"


@dataclass(frozen=True, slots=True)
class Option:
    kind: str  # boolean, integer, duration, percentage, or "enum:a|b|c"
    default: str


def _options() -> MappingProxyType[str, Option]:
    b, i, d = "boolean", "integer", "duration"
    table = {
        "batch-limit": Option(i, "0"), "cluster-delay": Option(d, "60s"),
        "cluster-ipc-limit": Option(i, "500"), "cluster-recheck-interval": Option(d, "15min"),
        "concurrent-fencing": Option(b, "false"), "dc-deadtime": Option(d, "20s"),
        "election-timeout": Option(d, "2min"), "enable-acl": Option(b, "false"),
        "enable-startup-probes": Option(b, "true"),
        "fence-reaction": Option("enum:stop|panic", "stop"),
        "join-finalization-timeout": Option(d, "30min"),
        "join-integration-timeout": Option(d, "3min"),
        "load-threshold": Option("percentage", "80%"), "maintenance-mode": Option(b, "false"),
        "migration-limit": Option(i, "-1"),
        "no-quorum-policy": Option("enum:stop|freeze|ignore|demote|suicide", "stop"),
        "node-action-limit": Option(i, "0"), "node-health-base": Option(i, "0"),
        "node-health-green": Option(i, "0"), "node-health-red": Option(i, "-INFINITY"),
        "node-health-strategy": Option(
            "enum:none|migrate-on-red|only-green|progressive|custom", "none"),
        "node-health-yellow": Option(i, "0"), "pe-error-series-max": Option(i, "-1"),
        "pe-input-series-max": Option(i, "4000"), "pe-warn-series-max": Option(i, "5000"),
        "placement-strategy": Option("enum:default|utilization|minimal|balanced", "default"),
        "priority-fencing-delay": Option(d, "0"), "remove-after-stop": Option(b, "false"),
        "shutdown-escalation": Option(d, "20min"), "shutdown-lock": Option(b, "false"),
        "shutdown-lock-limit": Option(d, "0"), "start-failure-is-fatal": Option(b, "true"),
        "startup-fencing": Option(b, "true"),
        "stonith-action": Option("enum:reboot|off|poweroff", "reboot"),
        "stonith-enabled": Option(b, "true"), "stonith-max-attempts": Option(i, "10"),
        "stonith-timeout": Option(d, "60s"), "stonith-watchdog-timeout": Option(d, "0"),
        "stop-all-resources": Option(b, "false"), "stop-orphan-actions": Option(b, "true"),
        "stop-orphan-resources": Option(b, "true"), "symmetric-cluster": Option(b, "true"),
        "transition-delay": Option(d, "0s"),
    }
    return MappingProxyType(table)


OPTIONS = _options()
READ_ONLY = frozenset({"cluster-infrastructure", "cluster-name", "dc-version",
                       "have-watchdog", "last-lrm-refresh"})


def value_problem(name: str, value: str) -> Problem | None:
    option = OPTIONS[name]
    if option.kind == "boolean" and value.lower() not in BOOLEANS:
        allowed = ", ".join(f"'{v}'" for v in BOOLEANS)
        return error(Code.TOOL_BAD_VALUE, f"'{value}' is not a valid {name} value, use a "
                     f"pacemaker boolean value: {allowed}", forceable=True)
    if option.kind == "duration" and not is_time_interval(value):
        return error(Code.TOOL_BAD_VALUE, f"'{value}' is not a valid {name} value, use time "
                     "interval (e.g. 1, 2s, 3m, 4h, ...)", forceable=True)
    if option.kind.startswith("enum:") and value not in option.kind[5:].split("|"):
        allowed = ", ".join(f"'{v}'" for v in sorted(option.kind[5:].split("|")))
        return error(Code.TOOL_BAD_VALUE, f"'{value}' is not a valid {name} value, use "
                     f"{allowed}", forceable=True)
    if option.kind == "integer" and not value.lstrip("-+").isdigit() \
            and value.lstrip("-+") != "INFINITY":
        return error(Code.TOOL_BAD_VALUE, f"'{value}' is not a valid {name} value, use an "
                     "integer or INFINITY or -INFINITY", forceable=True)
    return None


def is_time_interval(value: str) -> bool:
    """pcs's time interval: whole seconds, or a whole number with s, sec, m, min, h or hr."""
    for unit in ("", "s", "sec", "m", "min", "h", "hr"):
        number = value[:len(value) - len(unit)] if unit else value
        if value.endswith(unit) and number.isdigit():
            return True
    return False


def property_problems(pairs: Sequence[tuple[str, str]]) -> list[Problem]:
    problems: list[Problem] = []
    allowed = ", ".join(f"'{n}'" for n in sorted(OPTIONS))
    for name, value in pairs:
        if name not in OPTIONS:
            problems.append(error(Code.PROPERTY_UNKNOWN, f"invalid cluster property option "
                                  f"'{name}', allowed options are: {allowed}", forceable=True))
        elif value:
            bad = value_problem(name, value)
            problems += [bad] if bad else []
    return problems


def set_properties(env: CIBEnvironment, pairs: Sequence[tuple[str, str]],
                   force: bool = False) -> list[Problem]:
    """pcs property set (an empty value removes the property)."""
    problems = property_problems(pairs)

    def edit(root: XMLElement) -> list[Problem]:
        nvs = property_set(root, create=True)
        assert nvs is not None
        # pcs cuts the property name to 20 characters in the ids it makes.
        cibedit.set_nvpairs(root, nvs, pairs, name_chars=20)
        return problems

    return cibedit.change(env, edit, force)


def property_set(root: XMLElement, create: bool) -> XMLElement | None:
    crm_config = cibedit.section(root, "crm_config")
    found = cibedit.find_all(crm_config, "cluster_property_set[@id=$i]", i=PROPERTY_SET)
    if found or not create:
        return found[0] if found else None
    return cibedit.sub_element(crm_config, "cluster_property_set", {"id": PROPERTY_SET}, 0)


def unset_properties(env: CIBEnvironment, names: Sequence[str],
                     force: bool = False) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        nvs = property_set(root, create=False)
        present = {n for n, _ in cibedit.nvpairs(nvs)}
        problems = [error(Code.ATTRIBUTE_NOT_FOUND, f"Cannot remove property '{name}', it is "
                          f"not present in property set '{PROPERTY_SET}'", forceable=True)
                    for name in names if name not in present]
        if nvs is not None:
            cibedit.set_nvpairs(root, nvs, [(name, "") for name in names])
        return problems

    return cibedit.change(env, edit, force)


def defaults() -> dict[str, str]:
    """Every property's default, as pcs lists them: the settable ones and the read-only
    cluster-name and have-watchdog that Pacemaker's own metadata also describes."""
    listed = {name: option.default for name, option in OPTIONS.items()}
    return {"cluster-name": "", "have-watchdog": "false", **listed}


def configured(env: CIBEnvironment) -> list[tuple[str, str, str]]:
    """(set id, name, value) of every cluster property in the CIB, in document order."""
    root = env.read().root
    return [(str(s.get("id")), name, value)
            for s in cibedit.find_all(root, "/cib/configuration/crm_config/cluster_property_set")
            for name, value in cibedit.nvpairs(s)]


# ----------------------------------------------------------------- node attributes


NODE_SETS = ("instance_attributes", "utilization")


def node_attributes(env: CIBEnvironment, nodes: Sequence[str], pairs: Sequence[tuple[str, str]],
                    set_tag: str = "instance_attributes", all_nodes: bool = False
                    ) -> list[Problem]:
    """Permanent node attributes (standby=on, maintenance=on, utilization ...)."""
    assert set_tag in NODE_SETS

    def edit(root: XMLElement) -> list[Problem]:
        names = cibedit.node_names(root) if all_nodes else list(nodes)
        problems: list[Problem] = []
        for name in names:
            node = cibedit.find_node(root, name)
            if node is None:
                problems.append(error(Code.NODE_NOT_FOUND, f"Node '{name}' does not appear to "
                                      "exist in configuration", node=name))
                continue
            suffix = "" if set_tag == "instance_attributes" else f"-{set_tag}"
            # only removals: no set is made for them
            nvs = cibedit.nvset(node, set_tag, root, f"nodes-{node.get('id')}{suffix}",
                                create=any(value for _, value in pairs))
            if nvs is not None:
                cibedit.set_nvpairs(root, nvs, pairs)
        return problems

    return cibedit.change(env, edit)


def node_names(env: CIBEnvironment) -> list[str]:
    return cibedit.node_names(env.read().root)


def node_entries(env: CIBEnvironment
                 ) -> list[tuple[str, str, list[tuple[str, list[tuple[str, str]]]]]]:
    """Each configured node: its id, name, and its attributes and utilization."""
    root = env.read().root
    return [(str(node.get("id")), str(node.get("uname")),
             [(word, [p for s in node.findall(tag) for p in cibedit.nvpairs(s)])
              for tag, word in (("instance_attributes", "attributes"),
                                ("utilization", "utilization"))])
            for node in cibedit.find_all(root, "/cib/configuration/nodes/node")]


def node_attribute_values(env: CIBEnvironment, set_tag: str = "instance_attributes"
                          ) -> list[tuple[str, list[tuple[str, str]]]]:
    root = env.read().root
    found = []
    for node in cibedit.find_all(root, "/cib/configuration/nodes/node"):
        pairs = [p for s in node.findall(set_tag) for p in cibedit.nvpairs(s)]
        if pairs:
            found.append((str(node.get("uname")), pairs))
    return found

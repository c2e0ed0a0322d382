"""ClusterConfig → corosync.conf text, in the dialect it was read in.

Owns the writer: only the keys the file configured are written (derived values
stay derived), members go back where they came from (nodelist or 1.x member
lists), kept sections verbatim. Contract: load(write(c)) == c for any model that
load produced. Must never do I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from hacluster.config import schema
from hacluster.config.build import load_config
from hacluster.config.model import (
    ClusterConfig,
    InterfaceConfig,
    LoggingConfig,
    NodeConfig,
    NodeSource,
    QuorumConfig,
    RawSection,
)
from hacluster.config.schema import KeySpec

_INDENT = "    "


def write_config(config: ClusterConfig) -> str:
    """The corosync.conf text of `config`."""
    blocks = [_totem(config)]
    if config.node_source is NodeSource.NODELIST:
        blocks.append(_block("nodelist", [], [_node(n) for n in config.nodes]))
    if config.has_quorum_section:
        blocks.append(_quorum(config.quorum))
    if config.has_logging_section:
        blocks.append(_logging(config.logging))
    blocks.extend(_raw(section) for section in config.others)
    return "\n".join(blocks)


def _block(name: str, lines: list[str], children: list[str]) -> str:
    """`name {`, indented lines and child blocks, `}`."""
    body = [_INDENT + line for line in lines]
    for child in children:
        body.extend(_INDENT + line for line in child.rstrip("\n").split("\n"))
    return "\n".join([f"{name} {{", *body, "}"]) + "\n"


def _keys(obj: object, table: Mapping[str, KeySpec], configured: frozenset[str],
          overrides: Mapping[str, str] | None = None) -> list[str]:
    """`key: value` lines for the configured keys, in the table's (documented) order."""
    lines = []
    for key, spec in table.items():
        if key not in configured or not spec.field:
            continue
        if overrides and key in overrides:
            lines.append(f"{key}: {overrides[key]}")
            continue
        lines.append(f"{key}: {schema.render(spec, getattr(obj, spec.field))}")
    return lines


def _totem(config: ClusterConfig) -> str:
    totem = config.totem
    lines = _keys(totem, schema.TOTEM_KEYS, totem.configured)
    interfaces = [_interface(config, i) for i in totem.interfaces]
    if config.node_source is NodeSource.MEMBERS and not totem.interfaces:
        interfaces.append(_interface(config, InterfaceConfig()))
    return _block("totem", lines, interfaces)


def _interface(config: ClusterConfig, interface: InterfaceConfig) -> str:
    members: list[str] = []
    if config.node_source is NodeSource.MEMBERS:
        link = interface.linknumber
        for node in config.nodes:
            if link < len(node.addresses) and node.addresses[link]:
                members.append(_block("member", [f"memberaddr: {node.addresses[link]}"], []))
    table = {k: s for k, s in schema.INTERFACE_KEYS.items()
             if k not in ("linknumber", "ringnumber") or k == interface.linknumber_key}
    return _block("interface", _keys(interface, table, interface.configured), members)


def _node(node: NodeConfig) -> str:
    lines = [f"ring{n}_addr: {address}" for n, address in enumerate(node.addresses) if address]
    if node.name:
        lines.append(f"name: {node.name}")
    if not node.nodeid_derived:
        lines.append(f"nodeid: {node.nodeid}")
    if node.quorum_votes_configured:
        lines.append(f"quorum_votes: {node.quorum_votes}")
    return _block("node", lines, [])


def _quorum(quorum: QuorumConfig) -> str:
    overrides = {"expected_votes": str(quorum.expected_votes_configured)}
    lines = _keys(quorum, schema.QUORUM_KEYS, quorum.configured, overrides)
    return _block("quorum", lines, [_raw(s) for s in quorum.device])


def _logging(logging: LoggingConfig) -> str:
    subsystems = [
        _block("logger_subsys",
               [f"subsys: {s.subsys}"] * bool(s.subsys) + [f"{k}: {v}" for k, v in s.settings],
               [])
        for s in logging.logger_subsys
    ]
    return _block("logging", _keys(logging, schema.LOGGING_KEYS, logging.configured),
                  subsystems)


def _raw(section: RawSection) -> str:
    return _block(section.name, [f"{k}: {v}" for k, v in section.entries],
                  [_raw(s) for s in section.sections])


def as_nodelist(config: ClusterConfig) -> ClusterConfig:
    """The same cluster in the corosync 2/3 dialect: a nodelist with explicit node ids
    (so they survive a change of address) and `linknumber` instead of `ringnumber`.
    Derived timings are recomputed: a nodelist of ≥ 3 nodes scales the token."""
    nodes = tuple(replace(n, nodeid_derived=False) for n in config.nodes)
    interfaces = tuple(
        replace(i, linknumber_key="linknumber",
                configured=_renamed(i.configured, "ringnumber", "linknumber"))
        for i in config.totem.interfaces)
    moved = replace(config, nodes=nodes, node_source=NodeSource.NODELIST,
                    totem=replace(config.totem, interfaces=interfaces))
    converted, _ = load_config(write_config(moved))
    return converted


def _renamed(keys: frozenset[str], old: str, new: str) -> frozenset[str]:
    return keys - {old} | {new} if old in keys else keys

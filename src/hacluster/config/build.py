"""The config pipeline: text → tree → model → every problem; the package's entry points.

Owns `load_config` (never raises on user input), `parse_config` (raises one HaError
carrying every problem when any is an error) and `check_config` (adds the host facts).
Must never read files: callers pass text and a file name for the messages.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hacluster.common import Code, HaError, Problem, Severity, has_errors
from hacluster.config import schema
from hacluster.config.load import (
    Reader,
    Settings,
    build_totem,
    raw_section,
    read_interfaces,
    read_logging,
    read_quorum,
    read_settings,
)
from hacluster.config.model import ClusterConfig, NodeConfig, NodeSource, RawSection
from hacluster.config.nodes import find_local_node, read_nodes
from hacluster.config.parse import Section, parse_tree
from hacluster.config.validate import check_environment, check_nodes, check_totem

_MODELLED = ("totem", "nodelist", "quorum", "logging")


@dataclass(frozen=True, slots=True)
class ConfigCheck:
    """What `hacluster config check` reports: the model, the local node, every problem."""

    config: ClusterConfig
    problems: tuple[Problem, ...]
    local_node: NodeConfig | None

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


def load_config(text: str, filename: str = "corosync.conf") -> tuple[
        ClusterConfig, tuple[Problem, ...]]:
    """The model (defaults where a value was bad) and every problem, in line order."""
    tree, syntax = parse_tree(text, filename)
    reader = Reader(filename, list(syntax))
    merged, others = _top_sections(reader, tree)
    totem = merged.get("totem")
    settings = read_settings(reader, totem, "totem", schema.TOTEM_KEYS) if totem \
        else Settings({}, frozenset())
    if totem is not None:
        reader.where["totem"] = (totem.line, totem.column)
        _check_totem_subsections(reader, totem)
    interfaces = read_interfaces(reader, totem) if totem else ()
    transport = str(settings.values.get("transport", "knet"))
    clear_high_bit = bool(settings.values.get("clear_node_high_bit", False))
    members = read_nodes(reader, tree, totem, transport, clear_high_bit)
    on_nodelist = members.source is NodeSource.NODELIST
    node_count = len(members.nodes) if on_nodelist else 0
    votes = sum(n.quorum_votes for n in members.nodes)
    config = ClusterConfig(
        totem=build_totem(settings, interfaces, node_count),
        nodes=members.nodes,
        node_source=members.source,
        quorum=read_quorum(reader, merged.get("quorum"), votes),
        logging=read_logging(reader, merged.get("logging")),
        others=others,
        has_quorum_section="quorum" in merged,
        has_logging_section="logging" in merged,
    )
    problems = reader.problems + check_nodes(config, filename, members.positions)
    problems += check_totem(config, filename, reader.where)
    return config, tuple(sorted(problems, key=lambda p: int(p.details.get("line", 0))))


def _top_sections(reader: Reader, tree: Section) -> tuple[
        dict[str, Section], tuple[RawSection, ...]]:
    """Merge repeated totem/quorum/logging blocks (later keys win, as in corosync)."""
    for entry in tree.entries:
        reader.at(Code.CONFIG_UNKNOWN_KEY, entry.line, entry.column,
                  f"key '{entry.key}' outside any section", Severity.WARNING, key=entry.key)
    merged: dict[str, Section] = {}
    others: list[RawSection] = []
    known = sorted((*_MODELLED, *schema.OPAQUE_SECTIONS))
    for section in tree.sections:
        name = section.name
        if name in ("totem", "quorum", "logging"):
            first = merged.get(name)
            merged[name] = section if first is None else Section(
                name, first.line, first.column, first.entries + section.entries,
                first.sections + section.sections)
        elif name in schema.OPAQUE_SECTIONS:
            others.append(raw_section(section))
            why = schema.OPAQUE_SECTIONS[name]
            if why:
                reader.at(Code.CONFIG_OBSOLETE_KEY, section.line, section.column,
                          f"section '{name}' is ignored: {why}", Severity.INFO)
        elif name != "nodelist":
            close = [k for k in known if _is_close(name, k)]
            hint = f"; did you mean '{close[0]}'?" if close else ""
            reader.at(Code.CONFIG_UNKNOWN_SECTION, section.line, section.column,
                      f"unknown section '{name}'{hint}", Severity.WARNING, section=name)
    return merged, tuple(others)


def _is_close(name: str, known: str) -> bool:
    return difflib.SequenceMatcher(None, name, known).ratio() >= 0.6


def _check_totem_subsections(reader: Reader, totem: Section) -> None:
    for section in totem.sections:
        if section.name != "interface":
            reader.at(Code.CONFIG_UNKNOWN_SECTION, section.line, section.column,
                      f"unknown section '{section.name}' in totem", Severity.WARNING)
            continue
        for inner in section.sections:
            if inner.name != "member":
                reader.at(Code.CONFIG_UNKNOWN_SECTION, inner.line, inner.column,
                          f"unknown section '{inner.name}' in totem.interface",
                          Severity.WARNING)


def parse_config(text: str, filename: str = "corosync.conf") -> ClusterConfig:
    """The model, or one HaError carrying every problem when any of them is an error."""
    config, problems = load_config(text, filename)
    if has_errors(problems):
        raise HaError(problems)
    return config


def check_config(
    text: str,
    filename: str = "corosync.conf",
    *,
    keyfile_exists: Callable[[str], bool] | None = None,
    addresses: Iterable[str] = (),
    hostname: str | None = None,
    override_address: str | None = None,
) -> ConfigCheck:
    """Everything `config check` reports. The local node is required only when an
    override address is given; otherwise not finding it is a warning."""
    config, problems = load_config(text, filename)
    addresses = tuple(addresses)
    local = find_local_node(config, addresses, hostname, override_address)
    if override_address is not None:
        hint = f" (no node has address {override_address})"
    else:
        hint = f" (hostname {hostname!r}, addresses {sorted(addresses)})"
    extra = check_environment(config, filename, keyfile_exists, local is not None,
                              local_required=override_address is not None, local_hint=hint)
    return ConfigCheck(config, problems + tuple(extra), local)

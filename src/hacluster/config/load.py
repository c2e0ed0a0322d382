"""From the parsed tree to ClusterConfig: typed values, defaults, derived timings.

Owns reading each section through the schema tables, reporting every unknown,
obsolete, duplicate or bad key at its line and column, and the derived values
Corosync computes (effective token, token_retransmit, hold, consensus, knet pings).
Members and node ids live in nodes.py. Must never raise on user input nor do I/O.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from hacluster.common import Code, Problem, Severity
from hacluster.config import schema
from hacluster.config.model import (
    InterfaceConfig,
    LoggerSubsys,
    LoggingConfig,
    QuorumConfig,
    RawSection,
    TotemConfig,
)
from hacluster.config.parse import Entry, Section, problem_at
from hacluster.config.schema import KeySpec

Value = int | bool | str
# Which table reads which section, for "it belongs in ..." hints.
ALL_SECTION_KEYS: Mapping[str, Mapping[str, KeySpec]] = MappingProxyType({
    "totem": schema.TOTEM_KEYS,
    "totem.interface": schema.INTERFACE_KEYS,
    "nodelist.node": schema.NODE_KEYS,
    "quorum": schema.QUORUM_KEYS,
    "logging": schema.LOGGING_KEYS,
})


@dataclass(slots=True)
class Reader:
    """Problem sink and position book for one load (local to one call, never shared)."""

    filename: str
    problems: list[Problem] = field(default_factory=list)
    where: dict[str, tuple[int, int]] = field(default_factory=dict)

    def at(self, code: Code, line: int, column: int, message: str,
           severity: Severity = Severity.ERROR, **details: object) -> None:
        self.problems.append(
            problem_at(code, self.filename, line, column, message, severity, **details))


@dataclass(frozen=True, slots=True)
class Settings:
    """The typed values a section sets, by model field, and the keys it used."""

    values: Mapping[str, Value]
    configured: frozenset[str]


def read_settings(reader: Reader, section: Section, path: str,
                  table: Mapping[str, KeySpec]) -> Settings:
    """Type every entry of `section` through `table`; report what does not fit."""
    values: dict[str, Value] = {}
    configured: set[str] = set()
    seen: dict[str, Entry] = {}
    for entry in section.entries:
        spec = table.get(entry.key)
        if spec is None:
            _report_unknown_key(reader, entry, path, table)
            continue
        if entry.key in seen:
            reader.at(Code.CONFIG_DUPLICATE_KEY, entry.line, entry.column,
                      f"{path}.{entry.key} is set again (line {seen[entry.key].line});"
                      " the last value wins", Severity.WARNING, key=entry.key)
        seen[entry.key] = entry
        if spec.obsolete:
            reader.at(Code.CONFIG_OBSOLETE_KEY, entry.line, entry.column,
                      f"{path}.{entry.key} is ignored: {spec.obsolete}", Severity.INFO,
                      key=entry.key)
            continue
        value = _convert(reader, entry, path, spec)
        if value is not None:
            values[spec.field] = value
            configured.add(entry.key)
            reader.where[f"{path}.{entry.key}"] = (entry.line, entry.column)
    return Settings(values, frozenset(configured))


def _convert(reader: Reader, entry: Entry, path: str, spec: KeySpec) -> Value | None:
    try:
        return schema.convert(spec, entry.value)
    except OverflowError as why:
        code = Code.CONFIG_VALUE_OUT_OF_RANGE
        reason = str(why)
    except ValueError as why:
        code = Code.CONFIG_BAD_VALUE
        reason = str(why)
    reader.at(code, entry.line, entry.value_column, f"{path}.{entry.key}: {reason}", key=entry.key,
              value=entry.value)
    return None


def _report_unknown_key(reader: Reader, entry: Entry, path: str,
                        table: Mapping[str, KeySpec]) -> None:
    hint = ""
    close = difflib.get_close_matches(entry.key, sorted(table), n=1, cutoff=0.6)
    if close:
        hint = f"; did you mean '{close[0]}'?"
    else:
        homes = [name for name, keys in ALL_SECTION_KEYS.items()
                 if name != path and entry.key in keys]
        if homes:
            hint = f"; it belongs in {homes[0]}"
    reader.at(Code.CONFIG_UNKNOWN_KEY, entry.line, entry.column,
              f"unknown key '{entry.key}' in {path or 'the top level'}{hint}",
              Severity.WARNING, key=entry.key, suggestion=close[0] if close else "")


def raw_section(section: Section) -> RawSection:
    """A section kept verbatim, without positions."""
    return RawSection(
        section.name,
        tuple((e.key, e.value) for e in section.entries),
        tuple(raw_section(s) for s in section.sections),
    )


def read_interfaces(reader: Reader, totem: Section) -> tuple[InterfaceConfig, ...]:
    interfaces: list[InterfaceConfig] = []
    for index, section in enumerate(s for s in totem.sections if s.name == "interface"):
        settings = read_settings(reader, section, "totem.interface", schema.INTERFACE_KEYS)
        reader.where[f"totem.interface.{index}"] = (section.line, section.column)
        values: dict[str, Any] = dict(settings.values)
        key = "ringnumber" if "ringnumber" in settings.configured else "linknumber"
        interfaces.append(InterfaceConfig(**values, configured=settings.configured,
                                          linknumber_key=key))
    return tuple(interfaces)


def _derived_timings(values: Mapping[str, Value], node_count: int) -> dict[str, int]:
    """Corosync's derived timings (totemconfig's arithmetic, doubles truncated to int)."""
    token_base = int(values.get("token_configured_ms", 3000))
    coefficient = int(values.get("token_coefficient_ms", 650))
    # The coefficient only applies to a nodelist of at least 3 nodes (corosync.conf(5)).
    token = token_base + (node_count - 2) * coefficient if node_count >= 3 else token_base
    loss_const = int(values.get("token_retransmits_before_loss_const", 4))
    retransmit = int(values.get("token_retransmit_ms", int(token / (loss_const + 0.2))))
    # hold = 0.8 * token_retransmit minus one 10 ms tick (HZ = 100)
    hold = int(values.get("hold_ms", int(retransmit * 0.8 - 10)))
    consensus = int(values.get("consensus_ms", int(1.2 * token)))
    return {"token_ms": token, "token_configured_ms": token_base,
            "token_retransmit_ms": retransmit, "hold_ms": hold, "consensus_ms": consensus}


def build_totem(settings: Settings, interfaces: tuple[InterfaceConfig, ...],
                coefficient_nodes: int) -> TotemConfig:
    """TotemConfig with defaults that depend on transport, secauth and node count."""
    values: dict[str, Any] = dict(settings.values)
    transport = str(values.get("transport", "knet"))
    values.setdefault("netmtu", 65536 if transport == "knet" else 1500)
    values.setdefault("ip_version", "ipv4" if transport == "udp" else "ipv6-4")
    if values.get("secauth"):
        # secauth implies aes256 + sha256 unless the ciphers are named (corosync.conf(5))
        values.setdefault("crypto_cipher", "aes256")
        values.setdefault("crypto_hash", "sha256")
    values.update(_derived_timings(values, coefficient_nodes))
    token = values["token_ms"]
    pinged = []
    for interface in interfaces:
        pong = interface.knet_pong_count
        pinged.append(_with_pings(interface, int(token / (pong * 2)), int(token / pong)))
    return TotemConfig(**values, interfaces=tuple(pinged), configured=settings.configured)


def _with_pings(interface: InterfaceConfig, interval_ms: int, timeout_ms: int) -> InterfaceConfig:
    if "knet_ping_interval" not in interface.configured:
        interface = replace(interface, knet_ping_interval_ms=interval_ms)
    if "knet_ping_timeout" not in interface.configured:
        interface = replace(interface, knet_ping_timeout_ms=timeout_ms)
    return interface


def read_quorum(reader: Reader, section: Section | None, node_votes: int) -> QuorumConfig:
    if section is None:
        return QuorumConfig(expected_votes=node_votes)
    settings = read_settings(reader, section, "quorum", schema.QUORUM_KEYS)
    values: dict[str, Any] = dict(settings.values)
    configured_votes = int(values.pop("expected_votes", 0))
    values.setdefault("wait_for_all", bool(values.get("two_node", False)))
    device = tuple(raw_section(s) for s in section.sections if s.name == "device")
    for other in (s for s in section.sections if s.name != "device"):
        reader.at(Code.CONFIG_UNKNOWN_SECTION, other.line, other.column,
                  f"unknown section '{other.name}' in quorum", Severity.WARNING)
    return QuorumConfig(**values, expected_votes=configured_votes or node_votes,
                        expected_votes_configured=configured_votes,
                        configured=settings.configured, device=device)


def read_logging(reader: Reader, section: Section | None) -> LoggingConfig:
    if section is None:
        return LoggingConfig()
    settings = read_settings(reader, section, "logging", schema.LOGGING_KEYS)
    subsystems = []
    for sub in section.sections:
        if sub.name != "logger_subsys":
            reader.at(Code.CONFIG_UNKNOWN_SECTION, sub.line, sub.column,
                      f"unknown section '{sub.name}' in logging", Severity.WARNING)
            continue
        sub_settings = read_settings(reader, sub, "logging.logger_subsys",
                                     schema.LOGGER_SUBSYS_KEYS)
        name = str(sub_settings.values.get("subsys", ""))
        if not name:
            reader.at(Code.CONFIG_MISSING_KEY, sub.line, sub.column,
                      "logger_subsys needs a 'subsys' key naming the subsystem")
        kept = tuple((e.key, e.value) for e in sub.entries
                     if e.key in sub_settings.configured and e.key != "subsys")
        subsystems.append(LoggerSubsys(name, kept))
    values: dict[str, Any] = dict(settings.values)
    return LoggingConfig(**values, logger_subsys=tuple(subsystems),
                         configured=settings.configured)

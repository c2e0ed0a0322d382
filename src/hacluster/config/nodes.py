"""Cluster members: reading them in either dialect, node ids, and finding the local node.

Owns `nodelist { node { ringX_addr nodeid name quorum_votes } }` (corosync 2/3), the
1.x `totem { interface { member { memberaddr } } }` list, node ids derived from IPv4
addresses (the 32-bit address, high bit cleared under clear_node_high_bit, as
corosync.conf(5) documents) and corosync's local-node search (name, short name,
address). Must never resolve names or look at the host: addresses come in as arguments.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from hacluster.common import Code, Severity
from hacluster.config import schema
from hacluster.config.load import Reader, read_settings
from hacluster.config.model import ClusterConfig, NodeConfig, NodeSource
from hacluster.config.parse import Section

_HIGH_BIT_CLEAR = 0x7FFF_FFFF


def derive_nodeid(address: str, clear_node_high_bit: bool) -> int | None:
    """The node id Corosync derives from an IPv4 address; None for anything else."""
    try:
        number = int(ipaddress.IPv4Address(address))
    except ValueError:
        return None
    if clear_node_high_bit:
        number &= _HIGH_BIT_CLEAR
    return number or None


@dataclass(frozen=True, slots=True)
class NodeList:
    """The members as read, with where each one was written (line, column)."""

    nodes: tuple[NodeConfig, ...]
    source: NodeSource
    positions: tuple[tuple[int, int], ...]


def read_nodes(reader: Reader, root: Section, totem: Section | None, transport: str,
               clear_high_bit: bool) -> NodeList:
    """Members from the nodelist, else from the 1.x interface member lists."""
    nodelists = [s for s in root.sections if s.name == "nodelist"]
    interfaces = [s for s in totem.sections if s.name == "interface"] if totem else []
    has_members = any(m.name == "member" for i in interfaces for m in i.sections)
    if nodelists and has_members:
        first = nodelists[0]
        reader.at(Code.CONFIG_CONFLICT, first.line, first.column,
                  "both a nodelist and interface member lists are given; the nodelist"
                  " wins and the members are ignored", Severity.WARNING)
    if nodelists:
        return _read_nodelist(reader, nodelists, transport, clear_high_bit)
    if has_members:
        return _read_members(reader, interfaces, clear_high_bit)
    return NodeList((), NodeSource.NONE, ())


def _read_nodelist(reader: Reader, nodelists: list[Section], transport: str,
                   clear_high_bit: bool) -> NodeList:
    nodes: list[NodeConfig] = []
    positions: list[tuple[int, int]] = []
    for nodelist in nodelists:
        for entry in nodelist.entries:
            reader.at(Code.CONFIG_UNKNOWN_KEY, entry.line, entry.column,
                      f"unknown key '{entry.key}' in nodelist; keys go inside node {{ }}",
                      Severity.WARNING, key=entry.key)
        for section in nodelist.sections:
            if section.name != "node":
                reader.at(Code.CONFIG_UNKNOWN_SECTION, section.line, section.column,
                          f"unknown section '{section.name}' in nodelist; only node {{ }}",
                          Severity.WARNING)
                continue
            nodes.append(_read_node(reader, section, transport, clear_high_bit))
            positions.append((section.line, section.column))
    return NodeList(tuple(nodes), NodeSource.NODELIST, tuple(positions))


def _read_node(reader: Reader, section: Section, transport: str,
               clear_high_bit: bool) -> NodeConfig:
    values = read_settings(reader, section, "nodelist.node", schema.NODE_KEYS).values
    rings = sorted(int(k[4]) for k in values if k.startswith("ring"))
    addresses = tuple(str(values.get(f"ring{n}_addr", "")) for n in range(rings[-1] + 1)) \
        if rings else ()
    if not addresses or not addresses[0]:
        reader.at(Code.CONFIG_MISSING_KEY, section.line, section.column,
                  "node has no ring0_addr (every node needs one)", key="ring0_addr")
    nodeid = int(values.get("nodeid", 0))
    derived = nodeid == 0
    if derived:
        nodeid = (derive_nodeid(addresses[0], clear_high_bit) or 0) if addresses else 0
        if transport == "knet":
            reader.at(Code.CONFIG_MISSING_KEY, section.line, section.column,
                      "node has no nodeid, which the knet transport requires", key="nodeid")
        elif nodeid == 0 and addresses and addresses[0]:
            reader.at(Code.CONFIG_MISSING_KEY, section.line, section.column,
                      f"node has no nodeid and ring0_addr {addresses[0]!r} is not an IPv4"
                      " address to derive one from", key="nodeid")
    votes = values.get("quorum_votes")
    return NodeConfig(nodeid, addresses, str(values.get("name", "")),
                      1 if votes is None else int(votes), derived, votes is not None)


def _read_members(reader: Reader, interfaces: list[Section],
                  clear_high_bit: bool) -> NodeList:
    """1.x: member j of the interface with linknumber L is node j's address on link L."""
    by_position: dict[int, dict[int, str]] = {}
    first_seen: dict[int, tuple[int, int]] = {}
    for interface in interfaces:
        link = _link_number(interface)
        members = [m for m in interface.sections if m.name == "member"]
        for position, member in enumerate(members):
            values = read_settings(reader, member, "totem.interface.member",
                                   schema.MEMBER_KEYS).values
            address = str(values.get("memberaddr", ""))
            if not address:
                reader.at(Code.CONFIG_MISSING_KEY, member.line, member.column,
                          "member has no memberaddr", key="memberaddr")
            by_position.setdefault(position, {})[link] = address
            first_seen.setdefault(position, (member.line, member.column))
    nodes: list[NodeConfig] = []
    for position in sorted(by_position):
        links = by_position[position]
        addresses = tuple(links.get(n, "") for n in range(max(links) + 1))
        nodeid = derive_nodeid(addresses[0], clear_high_bit) or 0
        if nodeid == 0 and addresses[0]:
            line, column = first_seen[position]
            reader.at(Code.CONFIG_MISSING_KEY, line, column,
                      f"memberaddr {addresses[0]!r} is not an IPv4 address to derive a node"
                      " id from", key="memberaddr")
        nodes.append(NodeConfig(nodeid, addresses, nodeid_derived=True))
    positions = tuple(first_seen[p] for p in sorted(by_position))
    return NodeList(tuple(nodes), NodeSource.MEMBERS, positions)


def _link_number(interface: Section) -> int:
    for entry in interface.entries:
        if entry.key in ("linknumber", "ringnumber") and entry.value.isdigit():
            return min(int(entry.value), 7)
    return 0


def _short(name: str) -> str:
    return name.split(".", 1)[0]


def find_local_node(
    config: ClusterConfig,
    addresses: Iterable[str] = (),
    hostname: str | None = None,
    override_address: str | None = None,
) -> NodeConfig | None:
    """This host's node, as corosync finds it; an override address wins over everything.

    The override lets several nodes run on one host on 127.0.0.x. Without it: the
    hostname, then its short form, then a node name whose short form matches, then the
    first node with an address among `addresses` (the host's interface addresses).
    """
    if override_address is not None:
        return next((n for n in config.nodes if override_address in n.addresses), None)
    if hostname:
        named = [n for n in config.nodes if n.name]
        for match in (
            lambda n: n.name == hostname,
            lambda n: n.name == _short(hostname),
            lambda n: _short(n.name) == _short(hostname),
        ):
            found = next((n for n in named if match(n)), None)
            if found is not None:
                return found
    local = frozenset(addresses)
    return next((n for n in config.nodes if local.intersection(n.addresses)), None)

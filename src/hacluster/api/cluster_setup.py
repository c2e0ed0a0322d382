"""`pcs cluster setup`: a new cluster's corosync.conf, in the nodelist dialect.

Owns turning a cluster name, nodes (name and optional addr=) and transport/totem/quorum
options into corosync.conf text, checked by hacluster.config (every problem at once) and
written by its writer. Two nodes get two_node: 1, as pcs sets it. Must never read or write
files: the cli saves the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hacluster.common import Code, HaError, Problem, Severity, raise_if_errors
from hacluster.config import parse_config, write_config

TRANSPORTS = ("knet", "udp", "udpu")


def setup_text(name: str, nodes: Sequence[tuple[str, str]], transport: str = "knet",
               totem: Mapping[str, str] | None = None,
               quorum: Mapping[str, str] | None = None) -> str:
    """corosync.conf for `nodes` ((name, address) pairs; an empty address means the name)."""
    problems: list[Problem] = []
    if not name:
        problems.append(Problem(Code.USAGE, "a cluster name is required"))
    if not nodes:
        problems.append(Problem(Code.CONFIG_NO_MEMBERS, "at least one node is required"))
    if transport not in TRANSPORTS:
        problems.append(Problem(Code.CONFIG_BAD_VALUE, f"'{transport}' is not a valid transport "
                                "value, use 'knet', 'udp', 'udpu'", severity=Severity.ERROR))
    names = [n for n, _ in nodes]
    problems += [Problem(Code.CONFIG_DUPLICATE_ADDRESS, f"Node name '{n}' is used more than "
                         "once") for n in sorted({n for n in names if names.count(n) > 1})]
    raise_if_errors(problems)
    lines = ["totem {", "    version: 2", f"    cluster_name: {name}",
             f"    transport: {transport}"]
    lines += [f"    {k}: {v}" for k, v in (totem or {}).items()]
    lines += ["}", "", "nodelist {"]
    for number, (node, address) in enumerate(nodes, start=1):
        lines += ["    node {", f"        ring0_addr: {address or node}", f"        name: {node}",
                  f"        nodeid: {number}", "    }"]
    lines += ["}", "", "quorum {", "    provider: corosync_votequorum"]
    if len(nodes) == 2:
        lines.append("    two_node: 1")
    lines += [f"    {k}: {v}" for k, v in (quorum or {}).items()]
    lines += ["}", "", "logging {", "    to_logfile: yes",
              "    logfile: /var/log/cluster/corosync.log", "    to_syslog: yes",
              "    timestamp: on", "}", ""]
    text = "\n".join(lines)
    try:
        return write_config(parse_config(text, "corosync.conf"))
    except HaError as error:
        raise HaError(error.problems) from None

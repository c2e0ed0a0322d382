"""`pcs --help` and `pcs <command> --help`: what each command and subcommand takes.

Owns the help text only (in pcs 0.11's shape: a usage line, the commands, each with its
syntax). tests/unit/test_tool_help.py checks that every verb the dispatch tables accept
is listed here. Must never decide anything.
"""

from __future__ import annotations

from types import MappingProxyType

NOUN_TEXT = MappingProxyType({
    "cluster": "Configure cluster options and nodes, start and stop them.",
    "resource": "Manage cluster resources.",
    "stonith": "Manage fence devices.",
    "constraint": "Manage resource constraints.",
    "property": "Manage pacemaker properties.",
    "status": "View cluster status.",
    "node": "Manage cluster nodes.",
})

VERB_SYNTAX = MappingProxyType({
    "cluster": (
        ("cib", "[filename] [scope=<scope> | --config]"),
        ("cib-push", "<filename> [diff-against=<filename_original> | --config]"),
        ("verify", "[-V] [filename]"),
        ("setup", "<cluster name> (<node name> [addr=<node address>])... "
                  "[transport knet|udp|udpu] [totem <options>] [quorum <options>] "
                  "[--corosync_conf <path>] [--overwrite]"),
        ("authkey", "corosync [<path>]"),
        ("start", "[--all | <node>...] [--wait[=<n>]]"),
        ("stop", "[--all | <node>...] [--force]"),
        ("status", ""),
    ),
    "resource": (
        ("status", "[<resource id>] [node=<node>] [--hide-inactive]"),
        ("config", "[<resource id>]..."),
        ("create", "<resource id> [<standard>:[<provider>:]]<type> [resource options] "
                   "[op <operation action> <operation options>...] [meta <meta options>] "
                   "[clone [<clone options>] | promotable [<options>] | --group <group id> "
                   "[--before <id> | --after <id>]] [--disabled] [--no-default-ops] "
                   "[--force]"),
        ("delete", "<resource id>"),
        ("update", "<resource id> [resource options] [op [<action> <options>]...] "
                   "[meta <meta options>]"),
        ("meta", "<resource id> <meta options>"),
        ("op", "add <resource id> <action> [options] | delete <resource id> <action> "
               "[options] | delete <operation id> | defaults [update] [options]"),
        ("defaults", "[update] [options]"),
        ("enable", "<resource id>... [--wait[=n]]"),
        ("disable", "<resource id>... [--wait[=n]]"),
        ("move", "<resource id> [destination node] [--promoted] [--wait[=n]]"),
        ("move-with-constraint", "<resource id> [destination node] [lifetime=<lifetime>] "
                                 "[--promoted] [--wait[=n]]"),
        ("ban", "<resource id> [node] [lifetime=<lifetime>] [--promoted] [--wait[=n]]"),
        ("clear", "<resource id> [node] [--promoted] [--expired] [--wait[=n]]"),
        ("cleanup", "[<resource id>] [node=<node>] [operation=<operation> "
                    "[interval=<interval>]]"),
        ("refresh", "[<resource id>] [node=<node>]"),
        ("restart", "<resource id> [node] [--wait=n]"),
        ("group", "add <group id> <resource id>... [--before <id> | --after <id>] | "
                  "remove <group id> <resource id>..."),
        ("ungroup", "<group id> [<resource id>...]"),
        ("clone", "<resource id | group id> [<clone id>] [clone options]"),
        ("promotable", "<resource id | group id> [<clone id>] [clone options]"),
        ("unclone", "<clone id | resource id | group id>"),
        ("utilization", "[<resource id> [<name>=<value>...]]"),
    ),
    "stonith": (
        ("status", "[<stonith id>] [--hide-inactive]"),
        ("config", "[<stonith id>]..."),
        ("create", "<stonith id> <stonith device type> [stonith device options] "
                   "[op <operation action> <operation options>...] [meta <meta options>] "
                   "[--disabled]"),
        ("update", "<stonith id> [stonith options]"),
        ("delete", "<stonith id>"),
        ("enable", "<stonith id>..."),
        ("disable", "<stonith id>..."),
        ("fence", "<node> [--off]"),
        ("history", "[show [<node>]]"),
        ("level", "add <level> <target> <stonith id>... | remove <level> [target] | config"),
    ),
    "constraint": (
        ("config", "[--full] [--all]"),
        ("location", "<resource> prefers|avoids <node>[=<score>]... | <resource> rule "
                     "[id=<rule id>] [role=<role>] [score=<score>] <expression> | add <id> "
                     "<resource> <node> <score> | [config] | delete <id>"),
        ("colocation", "add [<role>] <source resource id> with [<role>] <target resource id> "
                       "[score] [options] [id=constraint-id] | [config] | delete <id>"),
        ("order", "[action] <resource id> then [action] <resource id> [options] | [config] "
                  "| delete <id>"),
        ("ticket", "[config]"),
        ("delete", "<constraint id>..."),
        ("ref", "<resource>..."),
    ),
    "property": (
        ("config", "[<property> | --all | --defaults]"),
        ("set", "<property>=[<value>]... [--force]"),
        ("unset", "<property>..."),
    ),
    "status": (
        ("status", "[--full] [--hide-inactive]"),
        ("resources", "[<resource id>] [node=<node>] [--hide-inactive]"),
        ("nodes", ""),
        ("cluster", ""),
    ),
    "node": (
        ("standby", "[<node>] | --all [--wait[=n]]"),
        ("unstandby", "[<node>] | --all [--wait[=n]]"),
        ("maintenance", "[<node>] | --all [--wait[=n]]"),
        ("unmaintenance", "[<node>] | --all [--wait[=n]]"),
        ("attribute", "[[<node>] [--name <name>] | <node> <name>=<value>...]"),
        ("utilization", "[[<node>] [--name <name>] | <node> <name>=<value>...]"),
    ),
})

OPTIONS = """Options:
    -h, --help         Display usage and exit.
    -f file            Perform actions on file instead of active CIB.
    --force            Override checks and errors where pcs allows it.
    --corosync_conf    The corosync.conf to read or write (default
                       /etc/corosync/corosync.conf).
    --output-format    text (default) or json, for status and configuration listings.
    --version          Print pcs version information."""


def main_help(nouns: list[str]) -> str:
    width = max(len(n) for n in nouns) + 2
    commands = "\n".join(f"    {n.ljust(width)}{NOUN_TEXT.get(n, '')}".rstrip()
                         for n in nouns)
    return (f"\nUsage: pcs [-f file] [-h] [commands]...\nControl and configure pacemaker and "
            f"corosync.\n\n{OPTIONS}\n\nCommands:\n{commands}\n")


def noun_help(noun: str, verbs: list[str]) -> str:
    """The noun's commands with their syntax; any accepted verb without one is listed
    by name (an alias)."""
    known = dict(VERB_SYNTAX.get(noun, ()))
    lines = [f"    {verb} {known[verb]}".rstrip() for verb in known if verb in verbs]
    aliases = sorted(v for v in verbs if v and v not in known)
    if aliases:
        lines.append(f"    (also accepted: {', '.join(aliases)})")
    return (f"\nUsage: pcs {noun} [commands]...\n{NOUN_TEXT.get(noun, '')}\n\nCommands:\n"
            + "\n".join(lines) + "\n")

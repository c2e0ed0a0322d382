"""`pcs cluster ...`: cib, cib-push, verify.

Owns the words of `pcs [-f FILE] cluster cib [FILE] [scope=SECTION | --config]`,
`cluster cib-push FILE [diff-against=ORIG | --config]` and `cluster verify [-V]`; the CIB
work is in hacluster.api. Must never decide anything about the CIB.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import MappingProxyType

from hacluster.api import cib as api
from hacluster.api import cluster_setup as cluster_setup_api
from hacluster.api import env as api_env
from hacluster.api import verify
from hacluster.cli import keygen
from hacluster.cli.pcs import lifecycle
from hacluster.cli.pcs.common import Options, Usage, split_options
from hacluster.common import Code, HaError

CIB_PUSH = "cib-push <filename> [diff-against=<filename_original> | --config]"


def _read(path: str) -> bytes:
    """An input CIB file, refused by its size before it is read (api.read_input_file)."""
    try:
        return api.read_input_file(path)
    except HaError as error:
        if error.problems[0].code is Code.CIB_TOO_LARGE:
            raise
        raise HaError.single(Code.FILE_NOT_FOUND, f"unable to read {path}: "
                             f"{error.problems[0].message}") from None


def cluster_cib(words: list[str], options: Options) -> int:
    positional, named = split_options(words)
    env = options.env()
    scope = "configuration" if options.has("--config") else named.get("scope")
    text = api.query_text(env, scope) if scope else api.cib_text(env)
    if not positional:
        print(text, end="")
        return 0
    try:
        with open(positional[0], "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise HaError.single(Code.FILE_WRITE_ERROR,
                             f"unable to write to file '{positional[0]}': {error.strerror}"
                             ) from None
    return 0


def cluster_cib_push(words: list[str], options: Options) -> int:
    positional, named = split_options(words)
    if len(positional) != 1 or set(named) - {"diff-against", "scope"}:
        raise Usage("cluster cib-push", CIB_PUSH)
    if "diff-against" in named and options.has("--config"):
        raise HaError.single(Code.USAGE, "Cannot use 'diff-against' with '--config'")
    env = options.env()
    original = _read(named["diff-against"]) if "diff-against" in named else None
    config_only = options.has("--config") or named.get("scope") == "configuration"
    api.push(env, _read(positional[0]), original, config_only)
    print("CIB updated")
    return 0


def cluster_verify(words: list[str], options: Options) -> int:
    positional, _ = split_options(words)
    env = options.env() if not positional else api.CibFile(positional[0])
    problems = verify.problems(env)
    if not problems:
        return 0
    # pcs passes on what crm_verify said (every problem with --full), then its own lines
    lines = ["Error: invalid cib:"]
    if options.has("--full"):
        lines += [f"({p.details.get('stage', 'unpack_config')}) \terror: {p.message}"
                  for p in problems]
    lines += ["crm_verify: Errors found during check: config not valid", ""]
    if not options.has("--full"):
        lines += ["", "Use --full for more details."]
    lines.append("Error: Errors have occurred, therefore pcs is unable to continue")
    print("\n".join(lines), file=sys.stderr)
    return 1


SETUP = ("setup <cluster name> (<node name> [addr=<node address>])... [transport knet|udp|udpu "
         "[<transport options>]] [totem <totem options>] [quorum <quorum options>] "
         "[--corosync_conf <path>] [--overwrite]")
COROSYNC_CONF = "/etc/corosync/corosync.conf"
AUTHKEY = "/etc/corosync/authkey"
AUTHKEY_BYTES = 256


def setup_words(words: list[str]) -> tuple[list[tuple[str, str]], str, dict[str, str],
                                           dict[str, str]]:
    """Nodes with their addr=, the transport, and the totem and quorum options."""
    nodes: list[tuple[str, str]] = []
    transport = "knet"
    totem: dict[str, str] = {}
    quorum: dict[str, str] = {}
    section = "nodes"
    for word in words:
        if word in ("transport", "totem", "quorum"):
            section = word
            continue
        name, sep, value = word.partition("=")
        if section == "nodes":
            if sep and name == "addr" and nodes:
                nodes[-1] = (nodes[-1][0], value)
            elif sep:
                raise Usage("cluster setup", SETUP)
            else:
                nodes.append((word, ""))
        elif section == "transport" and not sep:
            transport = word
        elif sep:
            (quorum if section == "quorum" else totem)[name] = value
        else:
            raise Usage("cluster setup", SETUP)
    return nodes, transport, totem, quorum


def cluster_setup(words: list[str], options: Options) -> int:
    """Write a new corosync.conf (to --corosync_conf, else /etc/corosync/corosync.conf)."""
    if len(words) < 2:
        raise Usage("cluster setup", SETUP)
    nodes, transport, totem, quorum = setup_words(words[1:])
    text = cluster_setup_api.setup_text(words[0], nodes, transport, totem, quorum)
    path = options.values.get("--corosync_conf", COROSYNC_CONF)
    if os.path.exists(path) and path == COROSYNC_CONF and not options.has("--overwrite"):
        raise HaError.single(Code.FILE_EXISTS, f"{path} already exists, use --overwrite to "
                             "replace it")
    api_env.write_atomically(Path(path), text.encode())
    print(f"Wrote {path} for cluster '{words[0]}' with {len(nodes)} node(s)")
    return 0


def cluster_authkey(words: list[str], options: Options) -> int:
    """`cluster authkey corosync [<path>]`: a new key (or the given one) as the authkey."""
    if not words or words[0] != "corosync" or len(words) > 2:
        raise Usage("cluster authkey", "authkey corosync [<path>]")
    key = keygen.random_bytes(words[1], AUTHKEY_BYTES) if len(words) == 2 else \
        os.urandom(AUTHKEY_BYTES)
    keygen.write_key(options.values.get("--corosync_conf", "") and
                     str(Path(options.values["--corosync_conf"]).with_name("authkey"))
                     or AUTHKEY, key, force=True)
    print("Corosync authkey replaced")
    return 0


VERBS = MappingProxyType({"cib": cluster_cib, "cib-push": cluster_cib_push,
                          "verify": cluster_verify, "setup": cluster_setup,
                          "authkey": cluster_authkey, "start": lifecycle.cluster_start,
                          "stop": lifecycle.cluster_stop, "status": lifecycle.cluster_status})
SYNTAX = ("cib [filename] [scope=<scope> | --config]\n    " + CIB_PUSH +
          "\n    verify [-V] [filename]\n    setup <cluster name> <node name>... "
          "[--corosync_conf <path>]\n    authkey corosync [<path>]\n    start [--all | <node>...] "
          "[--wait[=<n>]]\n    stop [--all | <node>...] [--force]\n    status")

"""`pcs cluster ...`: cib, cib-push, verify.

Owns the words of `pcs [-f FILE] cluster cib [FILE] [scope=SECTION | --config]`,
`cluster cib-push FILE [diff-against=ORIG | --config]` and `cluster verify [-V]`; the CIB
work is in hacluster.api. Must never decide anything about the CIB.
"""

from __future__ import annotations

from types import MappingProxyType

from hacluster.api import cib as api
from hacluster.api import verify
from hacluster.cli.pcs.common import Options, Usage, split_options
from hacluster.common import Code, HaError

CIB_PUSH = "cib-push <filename> [diff-against=<filename_original> | --config]"


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise HaError.single(Code.FILE_NOT_FOUND,
                             f"unable to read {path}: {error.strerror}") from None


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
    print("Error: invalid cib:", flush=True)
    for problem in problems:
        print(f"  {problem.message}")
    return 1


VERBS = MappingProxyType({"cib": cluster_cib, "cib-push": cluster_cib_push, "verify": cluster_verify})
SYNTAX = ("cib [filename] [scope=<scope> | --config]\n    " + CIB_PUSH +
          "\n    verify [-V] [filename]\n    setup <cluster name> <node name>... "
          "[--corosync_conf <path>]\n    authkey corosync [<path>]")

"""`pcs`: the pcs-style command tree (noun → verb → arguments) over hacluster.api.

Owns argument parsing and rendering only. Today: `pcs [-f FILE] cluster cib [FILE]
[scope=SECTION | --config]` and
`pcs [-f FILE] cluster cib-push FILE [diff-against=ORIG] [--config]`; other nouns
(resource, constraint, property, stonith, node, status) plug in as `add_<noun>(nouns)`
functions registered in NOUNS. Errors print as "Error: ..." and exit 1, as pcs does.
Must never decide anything about the CIB: hacluster.api owns that.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from hacluster.api import cib as api
from hacluster.common import Code, HaError

Handler = Callable[[argparse.Namespace], int]


def split_options(words: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """pcs style: "name=value" words are options, the rest are positional arguments."""
    positional: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        if sep and name and "/" not in name:
            options[name] = value
        else:
            positional.append(word)
    return positional, options


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise HaError.single(Code.FILE_NOT_FOUND,
                             f"unable to read {path}: {error.strerror}") from None


def cluster_cib(args: argparse.Namespace) -> int:
    positional, options = split_options(args.words)
    env = api.environment(args.file, client_name="pcs")
    scope = "configuration" if args.config else options.get("scope")
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


def cluster_cib_push(args: argparse.Namespace) -> int:
    positional, options = split_options(args.words)
    if len(positional) != 1 or set(options) - {"diff-against", "scope"}:
        raise HaError.single(Code.USAGE, "usage: pcs cluster cib-push <filename> "
                             "[diff-against=<filename_original> | --config]")
    if "diff-against" in options and args.config:
        raise HaError.single(Code.USAGE, "Cannot use 'diff-against' with '--config'")
    env = api.environment(args.file, client_name="pcs")
    original = _read(options["diff-against"]) if "diff-against" in options else None
    config_only = args.config or options.get("scope") == "configuration"
    api.push(env, _read(positional[0]), original, config_only)
    print("CIB updated")
    return 0


def add_cluster(nouns: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cluster = nouns.add_parser("cluster", help="cluster-wide commands")
    verbs = cluster.add_subparsers(dest="verb", required=True)
    cib = verbs.add_parser("cib", help="print the CIB or save it to FILE")
    cib.add_argument("words", nargs="*")
    cib.add_argument("--config", action="store_true")
    cib.set_defaults(handler=cluster_cib)
    push = verbs.add_parser("cib-push", help="push FILE as the CIB")
    push.add_argument("words", nargs="*")
    push.add_argument("--config", action="store_true")
    push.set_defaults(handler=cluster_cib_push)


NOUNS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (  # type: ignore[type-arg]
    add_cluster,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pcs", description="Control and configure the cluster.")
    parser.add_argument("-f", dest="file", metavar="FILE",
                        help="work on the CIB in FILE instead of the live cluster")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--debug", action="store_true")
    nouns = parser.add_subparsers(dest="noun", required=True)
    for add in NOUNS:
        add(nouns)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # pcs accepts its global flags anywhere on the line.
    for word in extra:
        if word == "--config":
            args.config = True
        elif word == "--force":
            args.force = True
        else:
            parser.error(f"unrecognized argument {word}")
    handler: Handler = args.handler
    try:
        return handler(args)
    except HaError as error:
        for problem in error.problems:
            print(f"Error: {problem.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

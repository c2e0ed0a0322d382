"""`pcs`: pcs 0.11's command tree (noun → verb → words) over hacluster.api, live or with -f.

Owns dispatching `pcs [-f FILE] [--force] NOUN VERB ...` through the nouns' verb tables
(resource, constraint, property, node, stonith, cluster, status), the help text and how
failures look: "Error: ..." lines (every problem at once) and exit 1, or the command's usage.
Must never decide anything about the CIB: hacluster.api owns that.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from types import MappingProxyType

from hacluster.cli.pcs import cluster, constraint, nodes, resource_verbs
from hacluster.cli.pcs import help_text as help_pages
from hacluster.cli.pcs.common import VALUE_FLAGS, Options, Usage, parse_flags, print_error
from hacluster.cli.pcs.status_text import status
from hacluster.common import Code, HaError

Verb = Callable[[list[str], Options], int]


NOUNS = MappingProxyType({
    "resource": resource_verbs.VERBS,
    "constraint": constraint.VERBS,
    "property": nodes.PROPERTY_VERBS,
    "node": nodes.NODE_VERBS,
    "stonith": nodes.STONITH_VERBS,
    "cluster": cluster.VERBS,
    "status": {"": status, "status": status, "resources": status, "nodes": status,
               "cluster": status},
})
DEFAULT_VERB = MappingProxyType({"resource": "status", "constraint": "config", "property": "config",
                "stonith": "status", "status": "", "cluster": ""})


def help_text(noun: str = "") -> str:
    if noun in NOUNS:
        return help_pages.noun_help(noun, list(NOUNS[noun]))
    return help_pages.main_help(list(NOUNS))


def dispatch(words: list[str], options: Options) -> int:
    if not words or words[0] in ("-h", "help", "--help"):
        print(help_text(), file=sys.stderr if not words else sys.stdout)
        return 1 if not words else 0
    noun, rest = words[0], words[1:]
    if noun not in NOUNS:
        print(help_text(), file=sys.stderr)
        return 1
    verbs = NOUNS[noun]
    if noun == "status" and rest and rest[0] in verbs:
        return verbs[rest[0]](rest, options)
    verb = rest[0] if rest else DEFAULT_VERB.get(noun, "-h")
    if verb in ("-h", "help", "--help"):
        print(help_text(noun))
        return 0
    if verb not in verbs:
        print(help_text(noun), file=sys.stderr)
        return 1
    return verbs[verb](rest[1:], options)


def negative_numbers(words: Sequence[str]) -> list[str]:
    """Words like -100 or -INFINITY before any "--", not an option's value."""
    if "--" in words:
        return []
    found = []
    for index, word in enumerate(words):
        rest = word[1:]
        number = rest.isdigit() or rest.lower() == "infinity" or is_float(word)
        after_value_flag = index > 0 and words[index - 1] in VALUE_FLAGS
        if word.startswith("-") and number and not after_value_flag:
            found.append(word)
    return found


def is_float(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words in (["--version"], ["-v"]):
        print("0.11.5")
        return 0
    options = Options()
    negative = negative_numbers(words)
    if negative:  # pcs 0.11 still reads them as arguments, with this warning first
        listed = "', '".join(negative)
        print(f"Deprecation Warning: Using '{listed}' without '--' is deprecated, those "
              "parameters will be considered position independent options in future pcs "
              "versions", file=sys.stderr)
    try:
        words, options = parse_flags(words)
        if options.has("--help"):
            words = [*words[:1], "--help"] if words else ["--help"]
        return dispatch(words, options)
    except Usage as usage:
        print(f"\nUsage: pcs {usage.command}...\n    {usage.syntax}\n", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `pcs status | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except HaError as error:
        print_error(error, options.force)
        if error.problems[0].code is Code.TOOL_UNKNOWN_COMMAND:
            print(help_text(), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

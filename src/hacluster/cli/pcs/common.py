"""What every pcs command shares: the global flags, usage errors, word splitting, output.

Owns `Options` (pcs's flags, accepted anywhere on the line as pcs does: -f FILE, --force,
--full, --disabled, --group G, --wait[=N], --all, --config, --promoted, --output-format,
--corosync_conf FILE), `parse_flags`, `Usage` (pcs prints the command's usage and exits 1),
`split_options` ("name=value" words) and printing of problems as "Error: ..." /
"Warning: ...". Must never decide anything about the CIB.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from hacluster.api import env as api_env
from hacluster.common import Code, HaError, Problem, Severity

VALUE_FLAGS = ("-f", "--group", "--corosync_conf", "--before", "--after", "--name",
               "--output-format", "--request-timeout")
BOOL_FLAGS = ("--force", "--full", "--disabled", "--all", "--config", "--promoted", "--master",
              "--debug", "--no-default-ops", "--hide-inactive", "--autodelete", "--quiet",
              "--start", "--enable", "--local", "--expired", "--strict", "--defaults", "--help",
              "--overwrite", "--off")


@dataclass
class Options:
    values: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def file(self) -> str | None:
        return self.values.get("-f")

    @property
    def force(self) -> bool:
        return "--force" in self.flags

    def has(self, flag: str) -> bool:
        return flag in self.flags

    def env(self) -> api_env.CIBEnvironment:
        if self.file:
            return api_env.CibFile(self.file)
        return api_env.environment(client_name="pcs")


class Usage(Exception):
    """Wrong arguments: pcs prints the usage of the command and exits 1."""

    def __init__(self, command: str, syntax: str) -> None:
        super().__init__(command)
        self.command = command
        self.syntax = syntax


def parse_flags(argv: Sequence[str]) -> tuple[list[str], Options]:
    words: list[str] = []
    options = Options()
    items = list(argv)
    while items:
        word = items.pop(0)
        name, eq, value = word.partition("=")
        if word in VALUE_FLAGS or (eq and name in VALUE_FLAGS):
            if not eq:
                if not items:
                    raise HaError.single(Code.USAGE, f"option {word} requires an argument")
                value = items.pop(0)
            options.values[name] = value
        elif name == "--wait":
            options.values["--wait"] = value
            options.flags.add("--wait")
        elif word in BOOL_FLAGS:
            options.flags.add("--promoted" if word == "--master" else word)
        elif word.startswith("--") or (word.startswith("-") and len(word) == 2
                                       and word[1].isalpha() and word != "-h"):
            raise HaError.single(Code.TOOL_UNKNOWN_COMMAND, f"option {word} not recognized")
        else:
            words.append(word)
    return words, options


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


def pairs_of(words: Sequence[str], command: str, syntax: str) -> tuple[tuple[str, str], ...]:
    """`name=value` words; pcs refuses a word without a value or a name in its own words
    (`command` and `syntax` are kept for the callers that print a usage instead)."""
    found = []
    for word in words:
        name, sep, value = word.partition("=")
        if not sep:
            raise HaError.single(Code.USAGE, f"missing value of '{word}' option")
        if not name:
            raise HaError.single(Code.USAGE, f"missing key in '{word}' option")
        found.append((name, value))
    return tuple(found)


def integer_utilization(pairs: Sequence[tuple[str, str]]) -> None:
    """pcs takes only integers (or nothing, to remove) as utilization values."""
    for name, value in pairs:
        if value and not value.lstrip("-").isdigit():
            raise HaError.single(Code.TOOL_BAD_VALUE, "Value of utilization attribute must be "
                                 f"integer: '{name}={value}'")


@contextlib.contextmanager
def missing_resource_says(template: str, closing: bool = False) -> Iterator[None]:
    """pcs words a missing resource its own way in each command: re-word RSC_NOT_FOUND
    problems with `template` ("{id}" is the resource); `closing`: pcs ends with its
    "Errors have occurred" line there."""
    try:
        yield
    except HaError as error:
        if not error.problems or any(p.code is not Code.RSC_NOT_FOUND for p in error.problems):
            raise
        raise HaError([Problem(Code.RSC_NOT_FOUND, template.format(id=p.details.get("id", "")),
                               MappingProxyType({**p.details, **({"closing": "yes"}
                                                                 if closing else {})}),
                               Severity.ERROR) for p in error.problems]) from None


def refuse_with_file(options: Options) -> None:
    if options.file:
        raise HaError.single(Code.TOOL_NOT_WITH_FILE,
                             "Specified option '-f' is not supported in this command")


def problem_line(problem: Problem, force: bool) -> str:
    if "plain" in problem.details:  # a note pcs prints as it is ("Assumed agent name ...")
        return problem.message
    if problem.is_error(force):
        hint = ", use --force to override" if problem.forceable else ""
        return f"Error: {problem.message}{hint}"
    return f"Warning: {problem.message}"


def print_problems(problems: Sequence[Problem], force: bool) -> None:
    for problem in problems:
        print(problem_line(problem, force), file=sys.stderr)


def print_error(error: HaError, force: bool) -> None:
    """Every problem, then pcs's closing line when a validator refused the command."""
    print_problems(error.problems, force)
    validated = any(p.forceable or p.severity is Severity.WARNING or "closing" in p.details
                    for p in error.problems)
    if validated or len(error.problems) > 1:
        print("Error: Errors have occurred, therefore pcs is unable to continue",
              file=sys.stderr)

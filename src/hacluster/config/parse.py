"""The corosync.conf grammar: text → a tree of sections and `key: value` entries.

Owns the syntax only (corosync.conf(5)): `name {` opens a section, `}` closes it,
`key: value` is an entry whose value is the rest of the line, a line whose first
non-blank character is `#` is a comment, indentation is free. Every problem names
file, line and column (both 1-based). Must never open files or know what a key means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from hacluster.common import Code, Problem, Severity

_NAME = re.compile(r"[A-Za-z0-9_.\-]+")


@dataclass(frozen=True, slots=True)
class Entry:
    """One `key: value` line."""

    key: str
    value: str
    line: int
    column: int  # of the key
    value_column: int = 0  # of the value's first character


@dataclass(frozen=True, slots=True)
class Section:
    """One `name { ... }` block; the whole file is the section named ""."""

    name: str
    line: int
    column: int
    entries: tuple[Entry, ...]
    sections: tuple[Section, ...]


def problem_at(
    code: Code,
    filename: str,
    line: int,
    column: int,
    message: str,
    severity: Severity = Severity.ERROR,
    **details: object,
) -> Problem:
    """A Problem whose message starts `file:line:column:` as compilers print it."""
    where = f"{filename}:{line}:{column}" if column else f"{filename}:{line}"
    info = {"file": filename, "line": line, "column": column, **details}
    return Problem(code, f"{where}: {message}", MappingProxyType(info), severity)


@dataclass(slots=True)
class _Open:
    """A section being filled while parsing (local to one parse call)."""

    name: str
    line: int
    column: int
    entries: list[Entry]
    sections: list[Section]

    def close(self) -> Section:
        return Section(self.name, self.line, self.column, tuple(self.entries),
                       tuple(self.sections))


def parse_tree(text: str, filename: str = "corosync.conf") -> tuple[Section, list[Problem]]:
    """Parse `text` into a tree; returns the tree built so far and every syntax problem."""
    stack = [_Open("", 0, 0, [], [])]
    problems: list[Problem] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        body = line.strip()
        if not body or body.startswith("#"):
            continue
        column = len(line) - len(line.lstrip()) + 1
        problem = _parse_line(stack, body, filename, number, column)
        if problem is not None:
            problems.append(problem)
    while len(stack) > 1:
        unclosed = stack.pop()
        problems.append(problem_at(
            Code.CONFIG_UNCLOSED_SECTION, filename, unclosed.line, unclosed.column,
            f"section '{unclosed.name}' opened here is never closed (missing '}}')",
            section=unclosed.name))
        stack[-1].sections.append(unclosed.close())
    return stack[0].close(), problems


def _parse_line(
    stack: list[_Open], body: str, filename: str, number: int, column: int
) -> Problem | None:
    """Apply one non-blank, non-comment line to the stack of open sections."""
    if body == "}":
        if len(stack) == 1:
            return problem_at(Code.CONFIG_UNEXPECTED_CLOSE, filename, number, column,
                              "'}' closes no open section")
        done = stack.pop()
        stack[-1].sections.append(done.close())
        return None
    if body.endswith("{") and ":" not in body:
        name = body[:-1].strip()
        if not _NAME.fullmatch(name):
            return problem_at(Code.CONFIG_SYNTAX, filename, number, column,
                              f"bad section name {name!r} before '{{'")
        stack.append(_Open(name, number, column, [], []))
        return None
    raw_key, colon, raw_value = body.partition(":")
    key = raw_key.strip()
    value = raw_value.strip()
    value_column = column + len(raw_key) + 1 + len(raw_value) - len(raw_value.lstrip())
    if not colon:
        return problem_at(Code.CONFIG_SYNTAX, filename, number, column,
                          "line is neither 'key: value', 'name {' nor '}'")
    if not _NAME.fullmatch(key):
        return problem_at(Code.CONFIG_SYNTAX, filename, number, column,
                          f"bad key {key!r} before ':'")
    stack[-1].entries.append(Entry(key, value, number, column, value_column))
    return None

"""The import rules of DESIGN.md §3, checked by walking every module's AST.

A violation here is a design bug, not a style nit: cores that do I/O cannot be
simulated, and imports that point upward make layers impossible to test alone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "hacluster"

IO_MODULES = frozenset(
    "asyncio socket subprocess threading selectors signal time os pathlib shutil tempfile "
    "multiprocessing ctypes fcntl pwd grp".split()
)

# Which hacluster subpackages each subpackage may import (itself is always allowed).
# A new subpackage must be added here: the table is the layer diagram of DESIGN.md §3.
ALLOWED = {
    "common": set(),
    "config": {"common"},
    "replies": {"common"},  # the IPC reply bodies, re-exported by events
    "events": {"common", "config", "replies"},
    "totem": {"common", "config", "events"},
    "cpg": {"common", "config", "events"},
    "quorum": {"common", "config", "events"},
    "cib": {"common", "events"},
    "executor": {"common", "events"},
    "fencing": {"common", "events"},
    "attrd": {"common", "events"},
    "scheduler": {"common", "cib"},
    "controller": {"common", "events", "cib", "scheduler"},
    "node": {"common", "config", "events", "totem", "cpg", "quorum", "cib", "controller",
             "executor", "fencing", "attrd", "node_cib", "node_crm", "node_services",
             "node_requests", "node_setup"},
    "node_cib": {"common", "events", "cib"},
    "node_requests": {"common", "events", "cpg"},
    "node_setup": {"common", "config", "cib", "quorum", "totem"},
    "node_services": {"common", "events", "cib", "attrd", "fencing"},
    "node_crm": {"common", "events", "controller", "executor", "fencing", "attrd"},
    "sim": {"common", "config", "events", "node", "node_cib", "totem", "cpg", "quorum", "cib",
            "controller", "executor", "fencing", "attrd"},
    "drivers": {"common", "config", "events", "node"},
    "api": {"common", "config", "events", "cib", "scheduler", "controller"},
    "cli": {"common", "api"},
    "demo": {"common", "config", "api"},
    "agents": set(),  # run by /usr/bin/python3 outside the venv: stdlib only
}
# Where real I/O is allowed: the drivers, the CLIs, the demo (an application that runs the
# daemons as processes), the OCF agents (executables run by the executor), and the api's
# environment module (files and the blocking client of the local daemon).
IO_ALLOWED_PREFIXES = ("drivers", "cli", "demo", "agents", "api.env")
# Known breaches, each with the issue that removes it. An entry that no longer matches
# anything fails test_no_stale_exemptions: delete it when its breach is gone.
EXEMPT_IMPORTS: set[tuple[str, str]] = set()
EXEMPT_CYCLES: set[frozenset[str]] = set()


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        name = ".".join(parts)
        yield name, path, ast.parse(path.read_text(), str(path))


def imported_names(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno


def top(name: str) -> str:
    return name.split(".")[0] if name else ""


def is_io_allowed(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in IO_ALLOWED_PREFIXES)


def violations_of(module: str, tree: ast.Module) -> list[str]:
    found: list[str] = []
    own = top(module)
    for target, line in imported_names(tree):
        root = top(target)
        if not is_io_allowed(module) and root in IO_MODULES:
            found.append(f"{module}:{line} imports {target} (I/O outside drivers/cli)")
        if root != "hacluster":
            continue
        sub = target.split(".")[1] if target.count(".") >= 1 else ""
        if not sub or sub == "__version__" or sub == own:
            continue
        if own in ALLOWED and sub in ALLOWED and sub not in ALLOWED[own] \
                and (module, sub) not in EXEMPT_IMPORTS:
            found.append(f"{module}:{line} imports hacluster.{sub} (layer {own} may not)")
        if own not in ALLOWED and module:
            found.append(f"{module}: subpackage {own!r} is not in the layer table")
        depth = target.split(".")
        if sub in ALLOWED and len(depth) > 3 and (SRC / sub).is_dir():
            inner = SRC / sub / depth[2]
            if inner.with_suffix(".py").exists() or inner.is_dir():
                found.append(f"{module}:{line} imports internals {target}; use hacluster.{sub}")
    return found


def state_violations_of(module: str, tree: ast.Module) -> list[str]:
    found: list[str] = []
    mutable_calls = {"list", "dict", "set", "defaultdict", "deque", "OrderedDict", "Counter"}
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if value is None:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if names == ["__all__"]:
            continue
        is_mutable = isinstance(
            value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp
        ) or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in mutable_calls
        )
        if is_mutable:
            found.append(f"{module}:{node.lineno} module-level mutable state {names}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.append(f"{module}:{node.lineno} uses 'global'")
    return found


def call_violations_of(module: str, tree: ast.Module) -> list[str]:
    found: list[str] = []
    if is_io_allowed(module):
        return found
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            found.append(f"{module}:{node.lineno} calls open() outside drivers/cli")
        if isinstance(func, ast.Attribute):
            owner = func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else (
                owner.attr if isinstance(owner, ast.Attribute) else "")
            if func.attr in ("now", "utcnow", "today") and owner_name in ("datetime", "date"):
                found.append(f"{module}:{node.lineno} reads the clock ({owner_name}.{func.attr})")
            if owner_name == "random" and func.attr not in ("Random",):
                found.append(f"{module}:{node.lineno} uses global randomness random.{func.attr}")
    return found


ALL = list(modules())


@pytest.mark.parametrize("module,path,tree", ALL, ids=[m for m, _, _ in ALL])
def test_module_respects_layers_and_io_ban(module: str, path: Path, tree: ast.Module) -> None:
    problems = violations_of(module, tree) + state_violations_of(module, tree)
    problems += call_violations_of(module, tree)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module,path,tree", ALL, ids=[m for m, _, _ in ALL])
def test_module_opens_with_a_docstring(module: str, path: Path, tree: ast.Module) -> None:
    assert ast.get_docstring(tree), f"{path} needs a docstring: what it owns, what it must never do"


MODULE_LINES_MAX = 500  # DESIGN.md: modules under 500 lines (split by noun when one grows)


@pytest.mark.parametrize("module,path,tree", ALL, ids=[m for m, _, _ in ALL])
def test_module_stays_under_the_line_cap(module: str, path: Path, tree: ast.Module) -> None:
    lines = len(path.read_text().splitlines())
    assert lines < MODULE_LINES_MAX, f"{path} has {lines} lines: split it by concept (DESIGN.md §7)"


def test_nothing_imports_the_cli() -> None:
    for module, _, tree in ALL:
        if top(module) == "cli":
            continue
        for target, line in imported_names(tree):
            assert not target.startswith("hacluster.cli"), f"{module}:{line} imports {target}"


def test_the_demo_never_imports_the_drivers() -> None:
    for module, _, tree in ALL:
        if top(module) == "demo":
            for target, line in imported_names(tree):
                assert not target.startswith("hacluster.drivers"), f"{module}:{line} {target}"


def test_sim_and_drivers_never_import_each_other() -> None:
    for module, _, tree in ALL:
        for target, line in imported_names(tree):
            if top(module) == "sim":
                assert not target.startswith("hacluster.drivers"), f"{module}:{line}"
            if top(module) == "drivers":
                assert not target.startswith("hacluster.sim"), f"{module}:{line}"


def test_the_checker_catches_a_core_that_opens_a_socket() -> None:
    tree = ast.parse("import socket\n")
    assert violations_of("totem.srp", tree)
    assert not violations_of("drivers.udp", tree)


def test_the_checker_catches_an_upward_import_and_module_state() -> None:
    assert violations_of("scheduler.placement", ast.parse("from hacluster.totem import srp\n"))
    assert state_violations_of("cib.ops", ast.parse("CACHE = {}\n"))
    assert call_violations_of("totem.srp", ast.parse("import random\nx = random.random()\n"))


def test_the_checker_refuses_drivers_reaching_past_the_node() -> None:
    assert violations_of("drivers.ipc", ast.parse("from hacluster.api import env\n"))
    assert violations_of("drivers.udp", ast.parse("from hacluster.totem import secauth\n"))
    assert violations_of("api.status", ast.parse("import socket\n"))
    assert not violations_of("drivers.udp", ast.parse("from hacluster.node import secauth\n"))


# ------------------------------------------------------------------ import cycles


def module_of(target: str, known: set[str]) -> str | None:
    """The hacluster module an import names: the longest existing module prefix."""
    if not target.startswith("hacluster."):
        return None
    parts = target.split(".")[1:]
    while parts:
        name = ".".join(parts)
        if name in known:
            return name
        parts.pop()
    return None


def import_graph() -> dict[str, set[str]]:
    """module -> modules it imports, at any level (function-level imports count: they only
    hide a cycle until the function runs)."""
    known = {module for module, _, _ in ALL} - {""}
    graph: dict[str, set[str]] = {module: set() for module in known}
    for module, _, tree in ALL:
        if not module:
            continue
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import sub` imports pkg.sub, not (only) pkg's own names
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
            for target in targets:
                found = module_of(target, known)
                if found is not None and found != module:
                    graph[module].add(found)
    return graph


def cycles_of(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_the_package_has_no_import_cycle() -> None:
    cycles = [c for c in cycles_of(import_graph()) if c not in EXEMPT_CYCLES]
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles_of(graph) == [frozenset({"a", "b", "c"})]
    assert cycles_of({"a": {"b"}, "b": set()}) == []


def test_no_stale_exemptions() -> None:
    used = set()
    for module, _, tree in ALL:
        for target, _ in imported_names(tree):
            if target.startswith("hacluster.") and target.count(".") >= 1:
                used.add((module, target.split(".")[1]))
    stale = sorted(EXEMPT_IMPORTS - used)
    assert not stale, f"exemptions no longer needed, delete them: {stale}"
    live = set(cycles_of(import_graph()))
    assert not EXEMPT_CYCLES - live, f"cycles gone, delete them: {EXEMPT_CYCLES - live}"

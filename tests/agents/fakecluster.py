#!/usr/bin/python3
"""A stand-in for the cluster's command-line tools, for agent tests without a cluster.

Installed (see install_tools) under the names attrd_updater, crm_node, crm_resource and
crm_simulate, it keeps node attributes, the partition, where resources run and the plan in
JSON files under $HCT_CLUSTER_DIR, and answers as the node $HCT_NODE. Tests record starts
and stops with set_running, as a controller would, and what the scheduler would start with
set_plan (`crm_simulate -L -S`; no plan set: it fails, as with no scheduler to ask). Only the
options the shipped agents use are handled.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# runpy.run_path sets sys.argv[0] to the file it runs: the launcher passes its own name.
LAUNCHER = ("#!/usr/bin/python3 -I\nimport os, runpy\nos.environ['HCT_TOOL'] = {!r}\n"
            "runpy.run_path({!r}, run_name='__main__')\n")


def install_tools(bindir: Path) -> None:
    bindir.mkdir(parents=True, exist_ok=True)
    for name in ("attrd_updater", "crm_node", "crm_resource", "crm_simulate"):
        (bindir / name).write_text(LAUNCHER.format(name, str(Path(__file__).resolve())))
        (bindir / name).chmod(0o755)


@contextmanager
def state(directory: Path) -> Iterator[dict[str, Any]]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = directory / "state.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        data.setdefault("attrs", {})
        data.setdefault("running", {})
        data.setdefault("partition", [])
        yield data
        # whole or not at all: a tool killed mid-write (a start at its timeout) must not
        # leave a truncated state that every later call fails to read
        fresh = directory / f"state.json.{os.getpid()}"
        fresh.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(fresh, path)


def set_partition(directory: Path, nodes: list[str]) -> None:
    with state(directory) as data:
        data["partition"] = nodes


def set_running(directory: Path, resource: str, node: str, running: bool) -> None:
    with state(directory) as data:
        nodes = set(data["running"].get(resource, []))
        nodes = nodes | {node} if running else nodes - {node}
        data["running"][resource] = sorted(nodes)


def set_plan(directory: Path, starts: list[tuple[str, str]]) -> None:
    """What `crm_simulate -L` will say the cluster starts: (instance, node) pairs."""
    with state(directory) as data:
        data["plan"] = starts


def set_attribute(directory: Path, node: str, name: str, value: str) -> None:
    with state(directory) as data:
        data["attrs"].setdefault(node, {})[name] = value


def attributes(directory: Path) -> dict[str, dict[str, str]]:
    with state(directory) as data:
        return dict(data["attrs"])


def option(args: list[str], *names: str) -> str | None:
    for name in names:
        if name in args and args.index(name) + 1 < len(args):
            return args[args.index(name) + 1]
    return None


def attrd_updater(data: dict[str, Any], node: str, args: list[str]) -> int:
    name = option(args, "-n", "--name")
    if name is None:
        return 64
    mine = data["attrs"].setdefault(node, {})
    value = option(args, "-U", "-B", "-v", "--update")
    if value is not None:
        mine[name] = value
    elif "-D" in args:
        mine.pop(name, None)
    elif "-Q" in args:
        holders = sorted(data["attrs"]) if "-A" in args else [node]
        found = [(n, data["attrs"][n][name]) for n in holders if name in data["attrs"].get(n, {})]
        for holder, held in found:
            print(f'name="{name}" host="{holder}" value="{held}"')
        return 0 if found else 105
    return 0


def crm_node(data: dict[str, Any], node: str, args: list[str]) -> int:
    if "-n" in args:
        print(node)
    elif "-p" in args:
        print(" ".join(data["partition"]))
    elif "-q" in args:
        print("1")
    return 0


def crm_resource(data: dict[str, Any], args: list[str]) -> int:
    resource = option(args, "--resource", "-r") or ""
    nodes = data["running"].get(resource, [])
    for where in nodes:
        print(f"resource {resource} is running on: {where}")
    if not nodes:
        print(f"resource {resource} is NOT running", file=sys.stderr)
    return 0


def crm_simulate(data: dict[str, Any], args: list[str]) -> int:
    if "-L" not in args or "plan" not in data:
        print("crm_simulate: no cluster to ask", file=sys.stderr)
        return 102
    print("Current cluster status:\n  * Node List:\n")
    if "-S" not in args:  # as the real one: no summary unless it simulates
        return 0
    print("Transition Summary:")
    for instance, node in data["plan"]:
        print(f"  * Start      {instance:<24}( {node} )")
    return 0


def main() -> int:
    tool, args = os.environ.get("HCT_TOOL", ""), sys.argv[1:]
    node = os.environ.get("HCT_NODE", "node-1")
    with state(Path(os.environ["HCT_CLUSTER_DIR"])) as data:
        if tool == "attrd_updater":
            return attrd_updater(data, node, args)
        if tool == "crm_node":
            return crm_node(data, node, args)
        if tool == "crm_resource":
            return crm_resource(data, args)
        if tool == "crm_simulate":
            return crm_simulate(data, args)
    return 64


if __name__ == "__main__":
    sys.exit(main())

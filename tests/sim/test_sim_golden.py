"""Interaction scripts with expected traces (raft testdata style): each file in golden/
holds commands, a line `----`, then the trace they must produce. Set
HACLUSTER_UPDATE_GOLDEN=1 to rewrite the traces; review the diff before committing.

Commands: `nodes 1 2 3`, `token 1000`, `loss 0.1`, `run 500`, `submit 1 [count]`,
`crash 2`, `start 2`, `shutdown 2`, `partition 1 | 2 3`, `block 1 2`, `heal`, `rings`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hacluster.common import NodeId
from hacluster.sim import NetworkOptions, World
from hacluster.totem import params_for_token

GOLDEN = Path(__file__).parent / "golden"


def run_script(commands: list[str]) -> list[str]:
    ids: list[NodeId] = []
    token_ms, loss = 1000, 0.0
    world: World | None = None
    out: list[str] = []
    for line in commands:
        word, *args = line.split()
        if word == "nodes":
            ids = [NodeId(int(a)) for a in args]
            continue
        if word in ("token", "loss"):
            token_ms, loss = (int(args[0]), loss) if word == "token" else (token_ms, float(args[0]))
            continue
        if world is None:
            world = World(1, ids, params_for_token(token_ms), NetworkOptions(loss=loss), trace=out)
        out.append(f"> {line}")
        apply(world, word, args)
    assert world is not None and not world.checker.violations, world and world.checker.violations
    return out


def apply(world: World, word: str, args: list[str]) -> None:
    nums = [NodeId(int(a)) for a in args if a.isdigit()]
    match word:
        case "run":
            world.run_for(int(args[0]))
        case "submit":
            for _ in range(int(args[1]) if len(args) > 1 else 1):
                world.submit(nums[0])
        case "crash":
            world.crash(nums[0])
        case "start":
            world.start(nums[0])
        case "shutdown":
            world.shutdown(nums[0])
        case "partition":
            groups = " ".join(args).split("|")
            world.network.partition([[NodeId(int(x)) for x in g.split()] for g in groups])
        case "block":
            world.network.block(nums[0], nums[1])
        case "heal":
            world.network.heal()
        case "rings":
            for node_id, (state, members) in world.rings().items():
                world.trace.append(f"{node_id} {state} members={list(members)}")  # type: ignore[union-attr]
        case _:
            raise AssertionError(f"unknown command {word!r}")


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.txt")), ids=lambda p: p.stem)
def test_interaction_script_gives_its_golden_trace(path: Path) -> None:
    script, _, expected = path.read_text().partition("----\n")
    commands = [c for c in script.splitlines() if c.strip() and not c.startswith("#")]
    got = "\n".join(run_script(commands)) + "\n"
    if os.environ.get("HACLUSTER_UPDATE_GOLDEN"):
        path.write_text(script + "----\n" + got)
        return
    assert got == expected

"""Whether the cluster has settled: what `crm_resource --wait` and `--restart` wait for.

Owns the test "the scheduler, run on the current CIB, would do nothing" (no runnable,
non-pseudo action in its transition) and the CIB edits of a restart (target-role Stopped,
then the previous value back). The polling loop with its clock lives in cli/waiting.py,
since this module must never sleep or read a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacluster.api import cibedit
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.common import Code, HaError, Problem
from hacluster.scheduler import schedule


@dataclass(frozen=True, slots=True)
class Pending:
    actions: tuple[str, ...]  # "start vip on node-1", in graph order

    @property
    def is_settled(self) -> bool:
        return not self.actions


def pending(env: CIBEnvironment, now_s: int) -> Pending:
    transition = schedule(env.read().root, now_s)
    keys = tuple(f"{a.task} {a.rsc or ''} on {a.node or ''}".replace("  ", " ")
                 for a in transition.executed() if a.runnable and not a.pseudo)
    return Pending(keys)


def target_role(env: CIBEnvironment, rid: str) -> str | None:
    element = cibedit.find_resource(env.read().root, rid)
    if element is None:
        raise HaError.single(Code.RSC_NOT_FOUND, f"Resource '{rid}' not found", id=rid)
    for meta in element.findall("meta_attributes"):
        for pair in meta.findall("nvpair"):
            if pair.get("name") == "target-role":
                return str(pair.get("value", ""))
    return None


def set_target_role(env: CIBEnvironment, rid: str, value: str | None) -> None:
    """target-role set to `value`, or removed when None."""
    def edit(root: XMLElement) -> list[Problem]:
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is not None:
            cibedit.set_meta(root, element, [("target-role", value or "")])
        return problems

    cibedit.change(env, edit)

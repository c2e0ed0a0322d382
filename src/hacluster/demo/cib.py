"""The demo's CIB step: the shipped EayunStack CIB through our crm_mon, crm_simulate,
cibadmin and pcs, on a temp copy (CIB_file), never on a live cluster.

Owns step 5 of `python -m hacluster.demo`: show the stored status, what the
scheduler would start once the three nodes are up, how the resources fail over when node-3
fails, and the effect of one edit (node-2 in standby). Every line printed comes from our
tools; this module only picks lines out and counts them. Must never edit the shipped
CIB file (it works on a copy) and never schedule anything itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hacluster.demo.cluster import DemoFailed, tool_path
from hacluster.demo.files import EAYUNSTACK_CIB, data_file

NODES = ("node-1", "node-2", "node-3")
NODES_UP = tuple(arg for node in NODES for arg in ("-u", node))
STANDBY_NODE_XML = ('<node id="2" uname="node-2"><instance_attributes id="nodes-2">'
                    '<nvpair id="nodes-2-standby" name="standby" value="on"/>'
                    '</instance_attributes></node>')
START_LINE = re.compile(r"^\s*\* Start\s+(\S+?)(:\d+)?\s+\(\s*(\S+)\s*\)")
Say = Callable[[str], None]


@dataclass
class CibFigures:
    starts_all_up: int = 0
    summary_node_fail: list[str] = field(default_factory=list)
    starts_standby: int = 0
    nodes_used_standby: tuple[str, ...] = ()


def run_tool(cib: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """One of our tools on the CIB file; a non-zero exit stops the demo with its stderr."""
    env = {**os.environ, "CIB_file": str(cib)}
    done = subprocess.run([tool_path(argv[0]), *argv[1:]], capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise DemoFailed(f"{' '.join(argv[:3])} ... exited {done.returncode}:\n{tail}")
    return done


def show(say: Say, done: subprocess.CompletedProcess[str], shown: str,
         lines: list[str] | None = None) -> None:
    say(f"$ {shown}    # exit {done.returncode}")
    body = lines if lines is not None else (done.stdout + done.stderr).rstrip("\n").splitlines()
    for line in body:
        say(f"    {line}")


def section(text: str, heading: str) -> list[str]:
    """The indented lines under `heading` (e.g. 'Transition Summary:') up to the next
    heading at column 0; blank lines are dropped."""
    lines = text.splitlines()
    if heading not in lines:
        return []
    out: list[str] = []
    for line in lines[lines.index(heading) + 1:]:
        if line and not line[0].isspace():
            break
        if line.strip():
            out.append(line)
    return out


def start_injections(summary: list[str]) -> list[str]:
    """`-i rsc_start_0@node=0` for each Start line: 'this start has happened and succeeded'."""
    injections: list[str] = []
    for line in summary:
        match = START_LINE.match(line)
        if match:
            injections += ["-i", f"{match.group(1)}_start_0@{match.group(3)}=0"]
    return injections


def copy_cib(workdir: Path) -> Path:
    cib = workdir / "cib.xml"
    shutil.copyfile(data_file(EAYUNSTACK_CIB), cib)
    cib.chmod(0o644)  # an installed package file may be read-only; our copy must take edits
    return cib


def step_stored_status(cib: Path, say: Say) -> None:
    say(f"copied the EayunStack CIB ({EAYUNSTACK_CIB}, 14 resources) to {cib}"
        f" (CIB_file={cib.name})")
    show(say, run_tool(cib, "crm_mon", "-1"), "crm_mon -1")
    say("its <status> is empty: no node has joined yet, so everything is Stopped")


def step_all_up(cib: Path, say: Say, figures: CibFigures) -> list[str]:
    done = run_tool(cib, "crm_simulate", "-S", "-x", str(cib), *NODES_UP)
    summary = section(done.stdout, "Transition Summary:")
    show(say, done, f"crm_simulate -S -x {cib.name} -u node-1 -u node-2 -u node-3"
         "   (Transition Summary only)", summary)
    figures.starts_all_up = sum(1 for line in summary if START_LINE.match(line))
    say(f"{figures.starts_all_up} resource instances would start across the three nodes")
    if not any("vip__public " in line or "vip__public:" in line for line in summary):
        say("vip__public is not started: its location rule bans it wherever the 'pingd'"
            " node attribute is not defined, and only a running ping agent sets it")
    return summary


def step_node_fail(cib: Path, say: Say, figures: CibFigures, summary: list[str]) -> None:
    injections = start_injections(summary)
    say(f"now take that placement as done ({len(injections) // 2} start results injected"
        " with -i) and fail node-3 (-f node-3):")
    done = run_tool(cib, "crm_simulate", "-S", "-x", str(cib), *NODES_UP, "-f", "node-3",
                    *injections)
    figures.summary_node_fail = section(done.stdout, "Transition Summary:")
    nodes = [line.strip() for line in section(done.stdout, "Current cluster status:")[1:3]]
    show(say, done, f"crm_simulate -S -x {cib.name} -u ... -i ... -f node-3"
         "   (node list and Transition Summary)", [*nodes, "Transition Summary:",
                                                  *figures.summary_node_fail])
    say("clone instances on node-3 are simply gone (at most one instance per node); the"
        " primitive that ran there starts elsewhere. Where the primitives run afterwards:")
    revised = section(done.stdout, "Revised Cluster Status:")
    for line in revised:
        if "\t Started " in line or "\t Stopped" in line:
            name, state = line.split("\t")[0].strip(" *"), line.split("\t")[-1].strip()
            say(f"    {name:<40} {state}")


def step_standby(cib: Path, say: Say, figures: CibFigures) -> None:
    done = run_tool(cib, "cibadmin", "-M", "-o", "nodes", "-X", STANDBY_NODE_XML)
    show(say, done, f"cibadmin -M -o nodes -X '{STANDBY_NODE_XML}'")
    query = run_tool(cib, "pcs", "-f", str(cib), "cluster", "cib")
    standby = [line.strip() for line in query.stdout.splitlines() if "standby" in line
               or "epoch=" in line]
    show(say, query, f"pcs -f {cib.name} cluster cib   (only the changed lines)", standby)
    done = run_tool(cib, "crm_simulate", "-S", "-x", str(cib), *NODES_UP)
    summary = section(done.stdout, "Transition Summary:")
    nodes = [line.strip() for line in section(done.stdout, "Current cluster status:")[1:3]]
    show(say, done, f"crm_simulate -S -x {cib.name} -u node-1 -u node-2 -u node-3",
         [*nodes, "Transition Summary:", *summary])
    figures.starts_standby = sum(1 for line in summary if START_LINE.match(line))
    figures.nodes_used_standby = tuple(sorted({m.group(3) for line in summary
                                               if (m := START_LINE.match(line))}))
    say(f"{figures.starts_standby} starts, all on {' and '.join(figures.nodes_used_standby)}:"
        " nothing is placed on the standby node")


def run_cib_steps(workdir: Path, say: Say) -> CibFigures:
    figures = CibFigures()
    cib = copy_cib(workdir)
    step_stored_status(cib, say)
    say("")
    summary = step_all_up(cib, say, figures)
    say("")
    step_node_fail(cib, say, figures, summary)
    say("")
    step_standby(cib, say, figures)
    return figures

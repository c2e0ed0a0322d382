"""Scheduler benchmark: our scheduler vs the real `crm_simulate -R -x` on the same CIBs.

Owns timing only: generates one CIB per size with bench/cibgen.py (mix "bench": mostly
running resources, some constraints and clones), runs each side in a child process and
reports wall time and peak RSS (os.wait4 rusage of the child). Must never send traffic.

    python bench/scheduler.py                       # all sizes, theirs skipped above 32x2000
    python bench/scheduler.py --sizes 3x20,3x200 --skip-theirs-above 0
    python bench/scheduler.py --ours "cmd:.venv/bin/crm_simulate -R -x {file}"

Output, one line per size:  `NxR: ours <s> <MiB> theirs <s> <MiB> ratio <ours/theirs>`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import cibgen  # noqa: E402

DEFAULT_SIZES = "3x20,3x200,16x1000,32x2000,32x10000"
# crm_simulate 2.1.5 on the reference machine: (seconds, peak RSS in MiB or None)
REFERENCE = {
    "3x20": (0.05, None), "3x200": (0.21, None), "16x1000": (2.97, None),
    "32x2000": (18.2, None), "32x10000": (340.0, 4.7 * 1024),
}
# Our scheduler in a fresh interpreter: parse the file, schedule, count summary lines.
INPROCESS_SNIPPET = (
    "import sys, time\n"
    "from lxml import etree\n"
    "from hacluster.scheduler import schedule\n"
    "root = etree.parse(sys.argv[1], etree.XMLParser(huge_tree=True)).getroot()\n"
    "t = schedule(root, int(time.time()))\n"
    "print(len(list(t.summary_lines())))\n"
)


@dataclass(frozen=True, slots=True)
class Measure:
    wall_s: float
    rss_mib: float | None
    ok: bool
    note: str = ""


def measure(argv: list[str], timeout_s: float) -> Measure:
    """Run `argv` as a child; wall time and the child's peak RSS from wait4()."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err,
                                env=dict(os.environ, LC_ALL="C"))
        deadline = start + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                return Measure(time.perf_counter() - start, usage.ru_maxrss / 1024, False,
                               "timeout")
            time.sleep(0.005)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-1:]
    ok = proc.returncode == 0
    return Measure(wall, usage.ru_maxrss / 1024, ok, "" if ok else f"rc={proc.returncode} "
                   + " ".join(tail)[:120])


def ours_argv(choice: str) -> list[str] | None:
    """The command that runs our scheduler on `{file}`, or None when there is none yet."""
    if choice.startswith("cmd:"):
        return choice[4:].split()
    ours_cli = REPO / ".venv" / "bin" / "crm_simulate"
    if choice == "cli" or (choice == "auto" and ours_cli.exists()):
        return [str(ours_cli), "-R", "-x", "{file}"]
    probe = subprocess.run([sys.executable, "-c", "from hacluster.scheduler import schedule"],
                           capture_output=True)
    if probe.returncode != 0:
        return None
    return [sys.executable, "-c", INPROCESS_SNIPPET, "{file}"]


def fmt(m: Measure | None, ref: tuple[float, float | None] | None = None) -> str:
    if m is None and ref is not None:
        rss = f" {ref[1]:.0f} MiB" if ref[1] else ""
        return f"{ref[0]:.2f} s{rss} (reference, not re-run)"
    if m is None:
        return "n/a"
    rss = f" {m.rss_mib:.0f} MiB" if m.rss_mib is not None else ""
    return f"{m.wall_s:.2f} s{rss}" + ("" if m.ok else f" FAILED({m.note})")


def run_size(name: str, args: argparse.Namespace, ours: list[str] | None) -> str:
    n_nodes, n_rsc = (int(x) for x in name.split("x"))
    gen = cibgen.generate(args.seed, nodes=n_nodes, resources=n_rsc, mix="bench")
    with tempfile.TemporaryDirectory(prefix="habench-") as tmp:
        path = Path(tmp) / f"cib-{name}.xml"
        path.write_text(gen.xml)
        sub = lambda argv: [a.replace("{file}", str(path)) for a in argv]  # noqa: E731
        mine = measure(sub(ours), args.timeout) if ours else None
        theirs: Measure | None = None
        tool = shutil.which("crm_simulate", path="/usr/sbin:/usr/bin")
        if tool and n_nodes * n_rsc <= args.skip_theirs_above:
            theirs = measure([tool, "-R", "-x", str(path)], args.timeout)
    ref = REFERENCE.get(name)
    theirs_s = theirs.wall_s if theirs and theirs.ok else (ref[0] if ref else None)
    ratio = (f"{mine.wall_s / theirs_s:.2f}" if mine and mine.ok and theirs_s else "n/a")
    return (f"{name}: ours {fmt(mine)}  theirs {fmt(theirs, ref)}  ratio {ratio}"
            f"  [{len(gen.xml) / 1e6:.1f} MB CIB]")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="ours vs crm_simulate -R -x, time and peak RSS")
    p.add_argument("--sizes", default=DEFAULT_SIZES, help="comma list of NODESxRESOURCES")
    p.add_argument("--skip-theirs-above", type=int, default=32 * 2000, metavar="N",
                   help="do not run the real tool when nodes*resources > N (default 64000)")
    p.add_argument("--ours", default="auto",
                   help='"auto", "cli" (.venv/bin/crm_simulate), "inprocess" or "cmd:ARGV {file}"')
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=900.0, help="per run, seconds")
    args = p.parse_args(argv)
    ours = ours_argv(args.ours)
    if ours is None:
        shown = "unavailable (no scheduler yet)"
    elif INPROCESS_SNIPPET in ours:
        shown = "hacluster.scheduler.schedule() in a fresh interpreter (no status output)"
    else:
        shown = " ".join(ours)
    print(f"ours: {shown}")
    for name in args.sizes.split(","):
        print(run_size(name.strip(), args, ours), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

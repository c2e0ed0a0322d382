"""Scheduler differential harness: our Transition Summary vs the real crm_simulate's.

Owns running both schedulers on one generated CIB, the comparison rule of
conformance/scheduler/README.md (trim, collapse spaces, "( x )" -> "(x)", sort) and a
command-line report for the scheduler engineer. Must never write outside a temp dir.

    python tests/differential/report.py --seeds 1-200 --mix default --first 5
    python tests/differential/report.py --seeds 1-500 --mix clones --knobs running=0.9
    python tests/differential/report.py --write-agreeing      # add passing seeds to the list
    python tests/differential/report.py --prune               # drop listed seeds that differ
    python tests/differential/report.py --mix advanced --save /tmp/diff   # CIBs to replay

"Ours" is chosen by HACLUSTER_DIFF_OURS: unset/"auto" = in-process
hacluster.scheduler.schedule(); "cmd:<command with {file}>" = any CLI printing a
crm_simulate-style "Transition Summary:" section (e.g. "cmd:.venv/bin/crm_simulate -S -x {file}").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "src"))

import cibgen  # noqa: E402

AGREEING = HERE / "agreeing_seeds.txt"
REAL_TOOL = "/usr/sbin/crm_simulate"

Runner = Callable[[str], list[str]]


def summary_section(output: str) -> list[str]:
    """The raw lines of the `Transition Summary:` section (README rule 1)."""
    lines: list[str] = []
    inside = False
    for line in output.splitlines():
        if line.startswith("Transition Summary:"):
            inside = True
            continue
        if inside and line.strip() and not line[0].isspace():
            break
        if inside and line.strip():
            lines.append(line)
    return lines


def normalize(lines: list[str]) -> list[str]:
    """README rules 2 and 3: trim, collapse whitespace, tighten parentheses, sort."""
    out = []
    for line in lines:
        text = re.sub(r"\s+", " ", line.strip())
        text = text.replace("( ", "(").replace(" )", ")")
        out.append(text)
    return sorted(out)


def real_tool() -> str | None:
    path = shutil.which("crm_simulate", path="/usr/sbin:/usr/bin")
    return path if path and not path.startswith(str(REPO)) else None


def run_cli(argv_template: list[str], xml: str, timeout_s: float = 120) -> str:
    with tempfile.TemporaryDirectory(prefix="hadiff-") as tmp:
        path = Path(tmp) / "cib.xml"
        path.write_text(xml)
        argv = [a.replace("{file}", str(path)) for a in argv_template]
        env = dict(os.environ, LC_ALL="C")
        env.pop("CIB_file", None)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, env=env)
        return done.stdout


def run_real(xml: str) -> list[str]:
    tool = real_tool()
    assert tool is not None, "the real crm_simulate is not installed"
    return normalize(summary_section(run_cli([tool, "-S", "-x", "{file}"], xml)))


def inprocess_runner() -> tuple[Runner | None, str]:
    """Our scheduler called in-process, or (None, why not)."""
    try:
        from lxml import etree

        import hacluster.scheduler as sched
    except ImportError as err:
        return None, f"hacluster.scheduler is not importable ({err})"
    schedule = getattr(sched, "schedule", None)
    if schedule is None:
        return None, "hacluster.scheduler has no schedule() yet"

    def run(xml: str) -> list[str]:
        root = etree.fromstring(xml.encode())
        transition = schedule(root, int(time.time()))
        return normalize(list(transition.summary_lines()))

    return run, "in-process hacluster.scheduler.schedule()"


def ours_runner() -> tuple[Runner | None, str]:
    choice = os.environ.get("HACLUSTER_DIFF_OURS", "auto")
    if choice.startswith("cmd:"):
        template = choice[4:].split()

        def run(xml: str) -> list[str]:
            return normalize(summary_section(run_cli(template, xml)))

        return run, f"command {choice[4:]!r}"
    return inprocess_runner()


@dataclass(frozen=True, slots=True)
class SeedResult:
    seed: int
    mix: str
    ok: bool
    theirs: tuple[str, ...]
    ours: tuple[str, ...]
    features: tuple[str, ...]
    error: str = ""


def compare_seed(seed: int, mix: str, ours: Runner, knobs: str = "") -> SeedResult:
    gen = cibgen.generate(seed, mix=cibgen.with_overrides(cibgen.MIXES[mix], knobs))
    theirs = run_real(gen.xml)
    try:
        mine = ours(gen.xml)
    except Exception as err:  # a crash of ours is a mismatch, reported with its reason
        return SeedResult(seed, mix, False, tuple(theirs), (), gen.features,
                          f"{type(err).__name__}: {err}")
    return SeedResult(seed, mix, mine == theirs, tuple(theirs), tuple(mine), gen.features)


def compare_many(seeds: list[int], mix: str, ours: Runner, knobs: str = "",
                 workers: int = 2) -> list[SeedResult]:
    # The real tool is a child process, so two threads keep both cores busy.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda s: compare_seed(s, mix, ours, knobs), seeds))


def read_agreeing(path: Path = AGREEING) -> dict[str, set[int]]:
    """`<mix> <seed>` per line; '#' starts a comment."""
    listed: dict[str, set[int]] = {}
    if not path.exists():
        return listed
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            mix, seed = line.split()
            listed.setdefault(mix, set()).add(int(seed))
    return listed


def write_agreeing(listed: dict[str, set[int]], path: Path = AGREEING) -> None:
    lines = ["# Seeds whose Transition Summary agrees with the real crm_simulate 2.1.5.",
             "# Format: <mix> <seed>. The differential test fails if one of these regresses.",
             "# Add with: python tests/differential/report.py --seeds 1-200 --write-agreeing"]
    for mix in sorted(listed):
        lines += [f"{mix} {seed}" for seed in sorted(listed[mix])]
    path.write_text("\n".join(lines) + "\n")


def parse_seeds(spec: str) -> list[int]:
    seeds: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


def print_diff(r: SeedResult) -> None:
    print(f"--- seed {r.seed} mix {r.mix} features {' '.join(r.features)}")
    print(f"    regenerate: python bench/cibgen.py {r.seed} {r.mix} > /tmp/cib-{r.seed}.xml")
    if r.error:
        print(f"    ours crashed: {r.error}")
    theirs, ours = Counter(r.theirs), Counter(r.ours)
    for line in sorted((theirs - ours).elements()):
        print(f"    only real: {line}")
    for line in sorted((ours - theirs).elements()):
        print(f"    only ours: {line}")


def save_differing(folder: Path, bad: list[SeedResult], knobs: str) -> None:
    """<mix>-<seed>.xml plus .real/.ours summaries, for crm_simulate -S -x by hand."""
    folder.mkdir(parents=True, exist_ok=True)
    for r in bad:
        stem = folder / f"{r.mix}-{r.seed}"
        mix = cibgen.with_overrides(cibgen.MIXES[r.mix], knobs)
        stem.with_suffix(".xml").write_text(cibgen.generate(r.seed, mix=mix).xml)
        stem.with_suffix(".real").write_text("\n".join(r.theirs) + "\n")
        stem.with_suffix(".ours").write_text("\n".join(r.ours) + "\n" + r.error)
    print(f"saved {len(bad)} differing CIBs in {folder}")


def feature_table(results: list[SeedResult]) -> None:
    total: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for r in results:
        for f in r.features or ("(plain)",):
            total[f] += 1
            failed[f] += 0 if r.ok else 1
    print("feature                 seeds  failed  fail%")
    for f in sorted(total, key=lambda k: (-failed[k] / total[k], k)):
        print(f"{f:<22} {total[f]:>6} {failed[f]:>7} {100 * failed[f] / total[f]:>5.0f}%")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="1-200", help="e.g. 1-200 or 5,9,30-40")
    p.add_argument("--mix", default="default", choices=sorted(cibgen.MIXES))
    p.add_argument("--knobs", default="", help="override mix knobs: running=0.9,group=0")
    p.add_argument("--first", type=int, default=5, help="print this many differing seeds")
    p.add_argument("--feature", default="", help="only show differing seeds with this tag")
    p.add_argument("--write-agreeing", action="store_true",
                   help="add every agreeing seed to agreeing_seeds.txt (keeps old ones)")
    p.add_argument("--save", metavar="DIR", default="",
                   help="write each differing CIB and both summaries into DIR")
    p.add_argument("--prune", action="store_true",
                   help="drop listed seeds that differ now (an accepted regression; say why)")
    args = p.parse_args(argv)
    if real_tool() is None:
        print("the real crm_simulate is not installed")
        return 2
    ours, how = ours_runner()
    if ours is None:
        print(f"ours is unavailable: {how}")
        return 2
    print(f"ours: {how}; mix {args.mix} {args.knobs}")
    results = compare_many(parse_seeds(args.seeds), args.mix, ours, args.knobs)
    bad = [r for r in results if not r.ok and (not args.feature or args.feature in r.features)]
    for r in bad[: args.first]:
        print_diff(r)
    if args.save:
        save_differing(Path(args.save), bad, args.knobs)
    feature_table(results)
    passed = sum(r.ok for r in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    listed = read_agreeing()
    regressed = sorted(r.seed for r in results if not r.ok and r.seed in listed.get(args.mix, ()))
    if regressed:
        print(f"listed seeds that differ now ({args.mix}): {' '.join(map(str, regressed))}")
    if args.write_agreeing or args.prune:
        mine = listed.setdefault(args.mix, set())
        if args.write_agreeing:
            mine.update(r.seed for r in results if r.ok)
        if args.prune:
            mine.difference_update(regressed)
        write_agreeing(listed)
    return 0


if __name__ == "__main__":
    sys.exit(main())

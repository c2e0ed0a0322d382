"""Fresh-seed differential: our scheduler and the real crm_simulate side by side on CIBs
from both random generators (bench/cibgen.py and the independent bench/cibgen2.py), with
seeds drawn from the clock, so the figure measures CIBs nobody tuned for.

Owns the comparison run and its report: per generator and mix, how many transitions
agree (the Transition Summary, normalized by the corpus README's rule: trim, collapse
spaces, "( x )" -> "(x)", sort), and which kinds of lines differ. Must never write
outside a temporary directory; ours runs in-process (hacluster.scheduler.schedule).

    python bench/differential.py                      # 30 fresh seeds per mix, both generators
    python bench/differential.py --seeds 50 --gen 2 --mix promotable,quorum --show 3
    python bench/differential.py --base 1733570000000 # replay one earlier run
"""

from __future__ import annotations

import argparse
import re
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
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import cibgen  # noqa: E402
import cibgen2  # noqa: E402
from lxml import etree  # noqa: E402

from hacluster.scheduler import schedule  # noqa: E402

REAL = "/usr/sbin/crm_simulate"
Generator = Callable[[int, str], str]


def gen1(seed: int, mix: str) -> str:
    return cibgen.generate(seed, mix=mix).xml


def gen2(seed: int, mix: str) -> str:
    return cibgen2.generate(seed, mix).xml


GENERATORS: dict[str, tuple[Generator, tuple[str, ...]]] = {
    "1": (gen1, tuple(m for m in cibgen.MIXES if m != "bench")),
    "2": (gen2, cibgen2.MIXES),
}


def normalize(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        text = re.sub(r"\s+", " ", line.strip())
        if text:
            out.append(text.replace("( ", "(").replace(" )", ")"))
    return sorted(out)


def summary_of(output: str) -> list[str]:
    lines: list[str] = []
    inside = False
    for line in output.splitlines():
        if line.startswith("Transition Summary:"):
            inside = True
            continue
        if inside and line.strip() and not line[0].isspace():
            break
        if inside:
            lines.append(line)
    return normalize(lines)


def theirs(xml: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="hadiff2-") as tmp:
        path = Path(tmp) / "cib.xml"
        path.write_text(xml)
        done = subprocess.run([REAL, "-S", "-x", str(path)], capture_output=True, text=True,
                              timeout=120, env={"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin"})
    return summary_of(done.stdout)


def ours(xml: str, now_s: int) -> list[str]:
    return normalize(list(schedule(etree.fromstring(xml.encode()), now_s).summary_lines()))


@dataclass(frozen=True, slots=True)
class Outcome:
    seed: int
    agree: bool
    only_theirs: tuple[str, ...]
    only_ours: tuple[str, ...]
    error: str = ""


def compare(make: Generator, mix: str, seed: int) -> Outcome:
    xml = make(seed, mix)
    real = theirs(xml)
    try:
        mine = ours(xml, int(time.time()))
    except Exception as err:  # noqa: BLE001 - a crash of ours is a disagreement
        return Outcome(seed, False, tuple(real), (), f"{type(err).__name__}: {err}")
    a, b = Counter(real), Counter(mine)
    return Outcome(seed, a == b, tuple(sorted((a - b).elements())),
                   tuple(sorted((b - a).elements())))


def line_class(line: str) -> str:
    """A coarse kind for a differing summary line: its verb, plus 'clone' for instances."""
    words = line.split()
    verb = words[1] if len(words) > 1 else "?"
    if verb == "Fence":
        return "Fence"
    rid = words[2] if len(words) > 2 else ""
    return f"{verb}{' (clone instance)' if ':' in rid else ''}"


def run_mix(gen: str, mix: str, seeds: list[int], show: int) -> tuple[int, int, Counter[str]]:
    make = GENERATORS[gen][0]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda s: compare(make, mix, s), seeds))
    classes: Counter[str] = Counter()
    shown = 0
    for o in outcomes:
        for line in o.only_theirs + o.only_ours:
            classes[line_class(line)] += 1
        if not o.agree and shown < show:
            shown += 1
            tool = "cibgen.py" if gen == "1" else "cibgen2.py"
            print(f"    -- {mix} seed {o.seed}: python bench/{tool} {o.seed} {mix}")
            if o.error:
                print(f"       ours crashed: {o.error}")
            for line in o.only_theirs:
                print(f"       real only: {line}")
            for line in o.only_ours:
                print(f"       ours only: {line}")
    return sum(o.agree for o in outcomes), len(outcomes), classes


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="fresh-seed agreement with crm_simulate per mix")
    p.add_argument("--seeds", type=int, default=30, help="fresh seeds per mix")
    p.add_argument("--gen", default="1,2", help="generators: 1 (cibgen), 2 (cibgen2)")
    p.add_argument("--mix", default="", help="comma-separated mixes (default: all)")
    p.add_argument("--base", type=int, default=0, help="first seed (default: from the clock)")
    p.add_argument("--show", type=int, default=0, help="differing seeds to print per mix")
    args = p.parse_args(argv)
    base = args.base or time.time_ns() // 1_000_000  # milliseconds: never drawn before
    print(f"fresh seeds from {base} ({args.seeds} per mix); replay with --base {base}")
    total_ok = total = 0
    for gen in args.gen.split(","):
        mixes = GENERATORS[gen][1]
        if args.mix:
            mixes = tuple(m for m in args.mix.split(",") if m in mixes)
        for k, mix in enumerate(mixes):
            seeds = [base + 1000 * k + i for i in range(args.seeds)]
            ok, n, classes = run_mix(gen, mix, seeds, args.show)
            total_ok += ok
            total += n
            top = ", ".join(f"{c} {v}" for c, v in classes.most_common(4))
            print(f"gen{gen} {mix:<12} {ok:>3}/{n} agree ({100 * ok / max(n, 1):.0f}%)"
                  f"{'  differing lines: ' + top if top else ''}", flush=True)
    print(f"all: {total_ok}/{total} agree ({100 * total_ok / max(total, 1):.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

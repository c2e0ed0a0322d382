"""Pacemaker's own scheduler regression cases, ours against the real crm_simulate.

Reads the cases from a Pacemaker checkout given on the command line (its
cts/scheduler/xml/*.xml; nothing is shipped with this repository), runs the installed
`crm_simulate -S -x` and our scheduler (in-process, hacluster.api.simulate) on each, and
prints how many Transition Summaries agree (normalized as the corpus README says: trim,
collapse spaces, "( x )" -> "(x)", sort), with a coarse table of what differs.

    python bench/pacemaker_cases.py ~/src/pacemaker                   # every case
    python bench/pacemaker_cases.py ~/src/pacemaker --skip ../shared/conformance/scheduler
    python bench/pacemaker_cases.py ~/src/pacemaker --show 5 --only 'unfence*'
    python bench/pacemaker_cases.py ~/src/pacemaker --cache /tmp/pc  # keep the real outputs

The real tool's output for a case may be kept in a --cache directory (a temporary one by
default) so reruns only run ours. Writes nothing outside that directory.
"""

from __future__ import annotations

import argparse
import fnmatch
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from differential import normalize, summary_of  # noqa: E402  (one reading of a summary)
from hacluster.api.simulate import simulate  # noqa: E402

REAL = "/usr/sbin/crm_simulate"


def theirs(case: Path, cache: Path) -> list[str] | None:
    """The real tool's summary, or None when it rejects the case (nothing to compare)."""
    kept = cache / f"{case.stem}.out"
    if not kept.exists():
        done = subprocess.run([REAL, "-S", "-x", str(case)], capture_output=True, text=True,
                              timeout=300, env={"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin"})
        text = done.stdout if "Transition Summary:" in done.stdout else ""
        kept.write_text(text)
    text = kept.read_text()
    return summary_of(text) if text else None


@dataclass(frozen=True, slots=True)
class Outcome:
    case: str
    agree: bool
    only_theirs: tuple[str, ...] = ()
    only_ours: tuple[str, ...] = ()
    error: str = ""
    skipped: bool = False


def compare(case: Path, cache: Path) -> Outcome:
    real = theirs(case, cache)
    if real is None:
        return Outcome(case.stem, False, skipped=True)
    try:
        mine = normalize(list(simulate(case.read_bytes(), now_s=int(time.time()))
                              .transition.summary_lines()))
    except Exception as err:  # noqa: BLE001 - a crash of ours is a disagreement
        return Outcome(case.stem, False, tuple(real), (), f"{type(err).__name__}: {err}"[:200])
    a, b = Counter(real), Counter(mine)
    return Outcome(case.stem, a == b, tuple(sorted((a - b).elements())),
                   tuple(sorted((b - a).elements())))


def line_class(line: str) -> str:
    words = line.split()
    verb = words[1] if len(words) > 1 else "?"
    return verb if verb == "Fence" else f"{verb}{' (instance)' if ':' in ''.join(words[2:3]) else ''}"


def cases_of(checkout: Path, skip: Path | None, only: str) -> list[Path]:
    xml = checkout / "cts" / "scheduler" / "xml"
    if not xml.is_dir():
        sys.exit(f"no cts/scheduler/xml under {checkout}: give a Pacemaker checkout")
    known = {p.name for p in skip.iterdir()} if skip else set()
    return [p for p in sorted(xml.glob("*.xml"))
            if p.stem not in known and (not only or fnmatch.fnmatch(p.stem, only))]


def report(outcomes: list[Outcome], show: int) -> None:
    classes: Counter[str] = Counter()
    shown = 0
    for o in outcomes:
        if o.skipped or o.agree:
            continue
        for line in o.only_theirs + o.only_ours:
            classes[line_class(line)] += 1
        if shown < show:
            shown += 1
            print(f"-- {o.case}{': ours crashed: ' + o.error if o.error else ''}")
            for line in o.only_theirs:
                print(f"   real only: {line}")
            for line in o.only_ours:
                print(f"   ours only: {line}")
    counted = [o for o in outcomes if not o.skipped]
    ok = sum(o.agree for o in counted)
    crashed = sum(bool(o.error) for o in counted)
    print(f"differing lines: {', '.join(f'{c} {v}' for c, v in classes.most_common(8))}")
    print(f"ours crashed on {crashed}; the real tool rejected {len(outcomes) - len(counted)}")
    print(f"agree: {ok}/{len(counted)} ({100 * ok / max(len(counted), 1):.1f}%)")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="Pacemaker's scheduler cases: ours vs crm_simulate")
    p.add_argument("checkout", type=Path, help="a Pacemaker source checkout (cts/scheduler/xml)")
    p.add_argument("--skip", type=Path, help="a directory whose entries name cases to leave out")
    p.add_argument("--only", default="", help="a glob on case names")
    p.add_argument("--show", type=int, default=0, help="differing cases to print")
    p.add_argument("--list", action="store_true", help="print each case's verdict")
    p.add_argument("--cache", type=Path, help="keep the real tool's outputs here")
    args = p.parse_args(argv)
    cases = cases_of(args.checkout, args.skip, args.only)
    with tempfile.TemporaryDirectory(prefix="hapcmk-") as tmp:
        cache = args.cache or Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(lambda c: compare(c, cache), cases))
    if args.list:
        for o in outcomes:
            print(f"{'SKIP' if o.skipped else 'PASS' if o.agree else 'FAIL'} {o.case}")
    report(outcomes, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""CIB benchmark: time and memory of our CIB core on a generated large CIB, and our cibadmin
next to the real one (CIB_file) on the same file.

Prints `name: ours theirs ratio` lines (theirs "-" when there is no real counterpart;
ratio = ours / theirs, lower is better for us). Run: `.venv/bin/python bench/cib.py
[--resources 10000] [--repeat 3]`. Writes only under a temporary directory.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hacluster.cib import apply_diff, create_diff, modify, parse_cib, parse_fragment

REPO = Path(__file__).resolve().parent.parent
OURS = REPO / ".venv" / "bin" / "cibadmin"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
NODES = ("node-1", "node-2", "node-3")


def primitive(i: int) -> str:
    rid = f"rsc{i}"
    return (
        f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
        f'<instance_attributes id="{rid}-ia"><nvpair id="{rid}-ia-state" name="state" '
        f'value="/run/{rid}"/></instance_attributes>'
        f'<meta_attributes id="{rid}-meta"><nvpair id="{rid}-meta-stick" '
        f'name="resource-stickiness" value="1"/></meta_attributes>'
        f'<operations><op id="{rid}-monitor-10" name="monitor" interval="10" timeout="20"/>'
        f'<op id="{rid}-start-0" name="start" interval="0" timeout="20"/></operations>'
        "</primitive>")


def lrm_resource(i: int, node: str) -> str:
    rid = f"rsc{i}"
    return (
        f'<lrm_resource id="{rid}" type="Dummy" class="ocf" provider="pacemaker">'
        f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_monitor_0" operation="monitor" '
        f'crm-debug-origin="do_update_resource" crm_feature_set="3.16.1" '
        f'transition-key="1:1:7:6b2d7f4c-0000-4000-8000-00000000c1b0" '
        f'transition-magic="0:7;1:1:7:6b2d7f4c-0000-4000-8000-00000000c1b0" '
        f'exit-reason="" on_node="{node}" call-id="{i + 1}" rc-code="7" op-status="0" '
        f'interval="0" last-rc-change="1700000000" exec-time="10" queue-time="0" '
        f'op-digest="00000000000000000000000000000000"/></lrm_resource>')


def generate(resources: int) -> bytes:
    """A pacemaker-3.7 CIB with `resources` primitives, a location constraint each, and a
    probe result for each on each of three nodes."""
    parts = ['<cib validate-with="pacemaker-3.7" crm_feature_set="3.16.1" admin_epoch="0" '
             'epoch="1" num_updates="0"><configuration><crm_config>'
             '<cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" '
             'value="false"/></cluster_property_set></crm_config><nodes>']
    parts += [f'<node id="{n + 1}" uname="{name}"/>' for n, name in enumerate(NODES)]
    parts.append("</nodes><resources>")
    parts += [primitive(i) for i in range(resources)]
    parts.append("</resources><constraints>")
    parts += [f'<rsc_location id="loc{i}" rsc="rsc{i}" node="{NODES[i % 3]}" score="100"/>'
              for i in range(resources)]
    parts.append("</constraints></configuration><status>")
    for n, name in enumerate(NODES):
        parts.append(f'<node_state id="{n + 1}" uname="{name}" in_ccm="true" crmd="online" '
                     'join="member" expected="member"><lrm id="{n + 1}"><lrm_resources>'
                     .replace("{n + 1}", str(n + 1)))
        parts += [lrm_resource(i, name) for i in range(resources)]
        parts.append("</lrm_resources></lrm></node_state>")
    parts.append("</status></cib>")
    return "".join(parts).encode()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def rss_mib() -> float:
    for text in Path("/proc/self/status").read_text().splitlines():
        if text.startswith("VmRSS:"):
            return int(text.split()[1]) / 1024
    return 0.0


def held_mib(fn: Callable[[], object]) -> float:
    """Resident memory the result of `fn` holds (lxml allocates outside Python's heap)."""
    before = rss_mib()
    kept = fn()
    after = rss_mib()
    del kept
    return after - before


def line(name: str, ours: float, theirs: float | None, unit: str) -> None:
    if theirs is None:
        print(f"{name}: {ours:.3f}{unit} - -")
    else:
        print(f"{name}: {ours:.3f}{unit} {theirs:.3f}{unit} {ours / theirs:.2f}")


def core_figures(data: bytes, repeat: int) -> None:
    print(f"# CIB of {len(data) / 2**20:.1f} MiB")
    # Memory first: after other parses, freed pages would be reused and hide the cost.
    line("parsed_doc_rss_mib", held_mib(lambda: parse_cib(data)), None, "MiB")
    seconds, doc = timed(lambda: parse_cib(data), repeat)
    line("parse_s", seconds, None, "s")
    old = parse_cib(data)
    middle = len(old.xpath("/cib/configuration/resources/primitive")) // 2
    update = parse_fragment(f'<nvpair id="rsc{middle}-meta-stick" value="50"/>')
    seconds, result = timed(lambda: modify(old, update), repeat)
    line("modify_nvpair_with_diff_s", seconds, None, "s")
    new = result[0]  # type: ignore[index]
    seconds, diff = timed(lambda: create_diff(old, new), repeat)
    line("create_diff_s", seconds, None, "s")
    seconds, _ = timed(lambda: apply_diff(old, diff), repeat)  # type: ignore[arg-type]
    line("apply_diff_s", seconds, None, "s")
    line("digest_s", timed(lambda: old.digest(), repeat)[0], None, "s")


def run_tool(tool: str, cib: Path, argv: list[str]) -> tuple[float, float | None]:
    """(seconds, max RSS in MiB or None) of one run of a tool on a CIB file. The RSS comes
    from GNU time, whose fork starts the tool from a small process: a child forked from this
    big one would report our own RSS as its maximum."""
    gnu_time = shutil.which("time", path=SYSTEM_PATH)
    rss_file = cib.with_suffix(".rss")
    prefix = [gnu_time, "-f", "%M", "-o", str(rss_file)] if gnu_time else []
    start = time.perf_counter()
    done = subprocess.run([*prefix, tool, *argv], env={"CIB_file": str(cib), "PATH": SYSTEM_PATH},
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, f"{tool} {argv}: rc={done.returncode} {done.stderr[-300:]!r}"
    if not gnu_time:
        return elapsed, None
    return elapsed, int(rss_file.read_text().split()[-1]) / 1024


def tool_figures(data: bytes, repeat: int, workdir: Path) -> None:
    real = shutil.which("cibadmin", path=SYSTEM_PATH)
    cases = [
        ("cibadmin_query_s", ["-Q"]),
        ("cibadmin_create_primitive_s", ["-C", "-o", "resources", "-X",
                                         '<primitive id="bench-new" class="ocf" '
                                         'provider="pacemaker" type="Dummy"/>']),
        ("cibadmin_modify_nvpair_s", ["-M", "-X", '<nvpair id="opts-stonith" value="false" '
                                      'name="stonith-enabled"/>']),
    ]
    for name, argv in cases:
        times: dict[str, list[float]] = {"ours": [], "theirs": []}
        rss: dict[str, float | None] = {}
        for _ in range(repeat):
            for who, tool in (("ours", str(OURS)), ("theirs", real)):
                if tool is None:
                    continue
                cib = workdir / f"{who}.xml"
                cib.write_bytes(data)
                seconds, maxrss = run_tool(tool, cib, argv)
                times[who].append(seconds)
                rss[who] = maxrss
        theirs = min(times["theirs"]) if times["theirs"] else None
        line(name, min(times["ours"]), theirs, "s")
        ours_rss = rss.get("ours")
        if ours_rss is not None:
            line(name.removesuffix("_s") + "_maxrss_mib", ours_rss, rss.get("theirs"), "MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tool-resources", type=int, default=None,
                        help="CIB size for the cibadmin comparison (default: --resources)")
    args = parser.parse_args()
    data = generate(args.resources)
    core_figures(data, args.repeat)
    tool_data = data if args.tool_resources is None else generate(args.tool_resources)
    with tempfile.TemporaryDirectory(prefix="hacluster-bench-cib-") as workdir:
        tool_figures(tool_data, args.repeat, Path(workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`crm_simulate`: schedule a CIB file and print what the cluster would do.

Owns option parsing and printing only (-x/-S/-R/-s/-G/-t and the injections); the work is
`hacluster.api.simulate`. Must never schedule or parse CIB semantics itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from hacluster.api import env as api_env
from hacluster.api import explain as api_explain
from hacluster.api import simulate as sim
from hacluster.cli.render import disabled_blocked_line, render_cluster_status
from hacluster.common import Code, ExitStatus, HaError, Severity

CHUNK_BYTES = 1 << 20  # the CIB file is fed to the parser in pieces, never held whole


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crm_simulate",
                                description="Simulate the cluster's response to events")
    p.add_argument("-x", "--xml-file", dest="xml_file")
    p.add_argument("-L", "--live-check", action="store_true")
    p.add_argument("-S", "--simulate", action="store_true")
    p.add_argument("-R", "--run", action="store_true")
    p.add_argument("-s", "--show-scores", action="store_true")
    p.add_argument("-G", "--save-graph", dest="save_graph")
    p.add_argument("-t", "--set-datetime", dest="set_datetime")
    p.add_argument("-u", "--node-up", action="append", default=[])
    p.add_argument("-d", "--node-down", action="append", default=[])
    p.add_argument("-f", "--node-fail", action="append", default=[])
    p.add_argument("-i", "--op-inject", action="append", default=[])
    p.add_argument("-F", "--op-fail", action="append", default=[])
    p.add_argument("-q", "--quorum")
    p.add_argument("-Q", "--quiet", action="store_true")
    p.add_argument("--explain", metavar="RSC",
                   help="say why RSC is where it is (or stopped) and what happens to it")
    return p


def parse_datetime_s(text: str) -> int:
    value = sim.parse_iso_s(text)
    if value is None:
        raise HaError.single(sim.Code.USAGE, f"invalid date/time '{text}'")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.live_check == bool(args.xml_file):
        print("crm_simulate: give exactly one of -x FILE or -L (the live cluster)",
              file=sys.stderr)
        return 64
    try:
        root = load_root(args)
        now_s = parse_datetime_s(args.set_datetime) if args.set_datetime else int(time.time())
        inj = sim.Injections(tuple(args.node_up), tuple(args.node_down), tuple(args.node_fail),
                             tuple(args.op_inject), tuple(args.op_fail), args.quorum)
        checked(root)
        if args.explain:
            sim.apply_injections(root, inj)
            print(api_explain.explain_root(root, args.explain, now_s,
                                           bool(args.set_datetime)).text())
            return 0
        result = sim.simulate_root(root, now_s, inj, forced_now=bool(args.set_datetime))
    except OSError as exc:
        print(f"crm_simulate: {exc}", file=sys.stderr)
        return 66
    except HaError as exc:
        print(f"crm_simulate: {exc}", file=sys.stderr)
        # An invalid configuration exits as the real tool does on a schema failure.
        invalid = exc.problems[0].code == Code.SCHED_INVALID_CIB
        return int(ExitStatus.CONFIG if invalid else exc.exit_status)
    out, stuck = output_lines(args, result)
    if args.save_graph:
        with open(args.save_graph, "w") as fh:
            fh.write(sim.graph_xml(result))
    if out:
        print("\n".join(out))
    if stuck:
        print(f"crm_simulate: the transition cannot complete: {stuck} actions wait on an "
              "ordering loop and never run", file=sys.stderr)
        return 1
    return 0


def output_lines(args: argparse.Namespace, result: Any) -> tuple[list[str], int]:
    """What the real crm_simulate 2.1.5 prints, section by section: the execution date
    it used (again after the executed actions), the count of disabled and blocked
    instances, the status, the scores (-s), the summary (-S, -R or -s), the executed
    actions and the revised status (-S, -R); -Q leaves only the scores. No blank line
    at the very end. Also how many actions could never run (an ordering loop)."""
    out: list[str] = []
    dated = ["Using the original execution date of: "
             + time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(result.now_s))] \
        if result.used_execution_date else []
    simulating = args.simulate or args.run
    if args.quiet:
        return (sim.score_lines(result) if args.show_scores else []), 0
    out += dated
    view = sim.status_view(result)
    note = disabled_blocked_line(view)
    out += [note, ""] if note else []
    out += ["Current cluster status:", *render_cluster_status(view), ""]
    if args.show_scores:
        out += sim.score_lines(result)
    if simulating or args.show_scores:
        out += ["Transition Summary:", *result.transition.summary_lines(), ""]
    stuck = 0
    if simulating:
        executed = result.transition.execution_lines()
        stuck = len(result.transition.synapses) - len(executed)
        out += ["Executing Cluster Transition:", *executed, *dated, ""]
        out += ["Revised Cluster Status:",
                *render_cluster_status(sim.revised_status_view(result, view)), ""]
    while out and out[-1] == "":
        out.pop()
    return out, stuck


def register_explain(commands: Any) -> None:
    """`hacluster explain RSC [-x FILE]`: a file, else $CIB_file, else the live cluster."""
    cmd = commands.add_parser("explain", help="say why a resource is where it is (or stopped)")
    cmd.add_argument("rsc", metavar="RSC")
    cmd.add_argument("-x", "--xml-file", dest="xml_file",
                     help="a CIB file (default: $CIB_file, else the live cluster)")
    cmd.add_argument("-t", "--set-datetime", dest="set_datetime")
    cmd.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    try:
        return explain_and_print(args)
    except BrokenPipeError:
        return 0  # the reader (e.g. head) has what it wanted


def explain_and_print(args: argparse.Namespace) -> int:
    now_s = parse_datetime_s(args.set_datetime) if args.set_datetime else int(time.time())
    if args.xml_file:
        try:
            with open(args.xml_file, "rb") as fh:
                root = sim.parse_cib_text(fh.read())
        except OSError as exc:
            print(f"hacluster explain: {exc}", file=sys.stderr)
            return 66
        for problem in api_explain.check_cib(root):
            if problem.severity != Severity.ERROR:
                print(f"hacluster explain: {problem}", file=sys.stderr)
        print(api_explain.explain_root(root, args.rsc, now_s,
                                       bool(args.set_datetime)).text())
        return 0
    print(api_explain.explain_env(api_env.environment(), args.rsc, now_s,
                                  bool(args.set_datetime)).text())
    return 0


def load_root(args: argparse.Namespace) -> Any:
    """-x FILE (fed in chunks, lean when huge), or -L: the live cluster's CIB (api.env:
    $CIB_file if set, else haclusterd under $HACLUSTER_STATE_DIR)."""
    if args.live_check:
        return sim.live_root(api_env.environment(client_name="crm_simulate"))
    with open(args.xml_file, "rb") as fh:
        lean = os.fstat(fh.fileno()).st_size > sim.LEAN_ABOVE_BYTES
        return sim.parse_cib_chunks(iter(lambda: fh.read(CHUNK_BYTES), b""), lean=lean)


def checked(root: object) -> None:
    """Warnings go to stderr, one line each; errors stop here (HaError)."""
    problems = api_explain.check_cib(root)
    for problem in problems:
        if problem.severity != Severity.ERROR:
            print(f"crm_simulate: {problem}", file=sys.stderr)
    errors = [p for p in problems if p.severity == Severity.ERROR]
    if errors:
        raise HaError(errors)


if __name__ == "__main__":
    sys.exit(main())

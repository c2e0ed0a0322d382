"""`crm_verify`: check a CIB (the live one with -L or $CIB_file, a file with -x, text with -X,
stdin with -p) against the installed schema and our configuration checks.

Owns the command line and Pacemaker 2.1.5's messages: nothing and exit 0 when valid;
"Errors found during check: config not valid" and exit 78 otherwise, each problem shown
with -V. Must never decide what is valid: hacluster.api.verify does.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from hacluster.api import env as api_env
from hacluster.api import verify
from hacluster.cli.usage import ToolParser, report
from hacluster.common import ExitStatus, HaError


def build_parser() -> ToolParser:
    parser = ToolParser(prog="crm_verify", description="Check a CIB for errors.")
    add = parser.add_argument
    add("-L", "--live-check", action="store_true", help="check the live CIB (or $CIB_file)")
    add("-x", "--xml-file", default=None, help="check the CIB in FILE")
    add("-X", "--xml-text", default=None, help="check the CIB given as text")
    add("-p", "--xml-pipe", action="store_true", help="check the CIB read from stdin")
    add("-V", "--verbose", action="count", default=0, help="show every problem")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.xml_text is not None or args.xml_pipe:
            text = args.xml_text if args.xml_text is not None else sys.stdin.read()
            problems = verify.text_problems(text)
        elif args.xml_file is not None:
            problems = verify.problems(api_env.CibFile(args.xml_file))
        else:
            problems = verify.problems(api_env.environment(client_name="crm_verify"))
    except HaError as error:
        return report("crm_verify", error)
    if not problems:
        return 0
    for problem in problems:
        if args.verbose or problem.code.value == "CIB_SCHEMA_INVALID":
            stage = problem.details.get("stage")
            prefix = f"({stage}) \terror: " if stage else "error: "
            print(f"{prefix}{problem.message}", file=sys.stderr)
    print("crm_verify: Errors found during check: config not valid", file=sys.stderr)
    if not args.verbose:
        print("  -V may provide more details", file=sys.stderr)
    return int(ExitStatus.CONFIG)


if __name__ == "__main__":
    sys.exit(main())

"""Run the EayunStack sweep over a range of seeds from the command line:
`.venv/bin/python tests/sim/eayunstack_sweep.py 1 50` prints one line per seed (ok, the
virtual time it took, the reason when it failed) and exits 1 if any failed."""

from __future__ import annotations

import sys

from eayunstack_script import configuration_xml

from hacluster.sim.crm_sweep import run_eayunstack_seed


def main(argv: list[str]) -> int:
    low, high = int(argv[0]), int(argv[1] if len(argv) > 1 else argv[0])
    conf = configuration_xml()
    failed = 0
    for seed in range(low, high + 1):
        result = run_eayunstack_seed(seed, conf)
        failed += not result.ok
        print(f"seed {seed} {'ok' if result.ok else 'FAILED'} virtual_ms={result.virtual_ms}"
              f" {result.reason}", flush=True)
    print(f"{high - low + 1 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

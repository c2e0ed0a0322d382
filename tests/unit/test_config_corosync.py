"""Differential: our effective totem values against a real corosync 3.1.7 on loopback.

Starts the real `corosync -f` (root only, udpu on 127.0.0.x, a private state_dir) for a
few configurations and compares its `corosync-cmapctl runtime.config.totem` lines with
the ones `hacluster config check` prints. Skipped when corosync is absent, we are not
root, or another corosync already runs (cmapctl would talk to that one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from hacluster.api import config as api_config
from hacluster.config import parse_config

pytestmark = pytest.mark.slow


def nodes(count: int) -> str:
    body = "".join(f"    node {{\n        ring0_addr: 127.0.0.{i}\n        nodeid: {i}\n    }}\n"
                   for i in range(1, count + 1))
    return f"nodelist {{\n{body}}}\n"


def totem(name: str, *lines: str) -> str:
    extra = "".join(f"    {line}\n" for line in lines)
    return (f"totem {{\n    version: 2\n    cluster_name: {name}\n    transport: udpu\n{extra}"
            "    interface {\n        linknumber: 0\n        mcastport: 15433\n    }\n}\n")


CASES = {
    "seed-timings-3-nodes": totem("h1seed", "token: 3000",
                                  "token_retransmits_before_loss_const: 10", "join: 60",
                                  "consensus: 3600", "max_messages: 20") + nodes(3),
    "defaults-2-nodes": totem("h1defaults") + nodes(2),
    "coefficient-5-nodes": totem("h1coeff", "token: 1000", "token_coefficient: 100",
                                 "token_retransmits_before_loss_const: 6") + nodes(5),
    "explicit-retransmit-and-hold": totem("h1explicit", "token: 2000", "token_retransmit: 400",
                                          "hold: 100", "merge: 300", "window_size: 40") + nodes(3),
}


def corosync_runtime(tmp_path: Path, text: str, cluster_name: str) -> list[str]:
    state = tmp_path / "state"
    state.mkdir()
    conf = tmp_path / "corosync.conf"
    conf.write_text(text + "logging {\n    to_stderr: yes\n    to_syslog: no\n}\n"
                    f"system {{\n    state_dir: {state}\n}}\n")
    proc = subprocess.Popen(["corosync", "-f", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = proc.stderr.read()[-500:] if proc.stderr else ""
                pytest.fail(f"corosync exited {proc.returncode}: {tail}")
            name = subprocess.run(["corosync-cmapctl", "-g", "totem.cluster_name"],
                                  capture_output=True, text=True, timeout=10)
            if name.returncode == 0 and name.stdout.strip().endswith(f"= {cluster_name}"):
                done = subprocess.run(["corosync-cmapctl", "runtime.config.totem"],
                                      capture_output=True, text=True, timeout=10, check=True)
                return done.stdout.splitlines()
            time.sleep(0.2)
        pytest.fail("corosync did not come up within 20 s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return []


@pytest.mark.parametrize("case", sorted(CASES))
def test_runtime_totem_values_match_real_corosync(tmp_path: Path, case: str) -> None:
    if shutil.which("corosync") is None or shutil.which("corosync-cmapctl") is None:
        pytest.skip("corosync is not installed")
    if os.geteuid() != 0:
        pytest.skip("the real corosync needs root")
    if subprocess.run(["pgrep", "-x", "corosync"], capture_output=True).returncode == 0:
        pytest.skip("another corosync is running; corosync-cmapctl would query it")
    text = CASES[case]
    config = parse_config(text)
    ours = {str(e) for e in api_config.cmap_entries(config)
            if e.key.startswith("runtime.config.totem.")}
    theirs = [line for line in corosync_runtime(tmp_path, text, config.totem.cluster_name)
              if line.split(" ")[0].removeprefix("runtime.config.totem.") in
              {e.split(" ")[0].removeprefix("runtime.config.totem.") for e in ours}]
    assert len(theirs) == len(ours)
    assert sorted(theirs) == sorted(ours)

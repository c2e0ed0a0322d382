"""`make demo` end to end: a live 3-node loopback cluster, CPG, failures, the EayunStack CIB.

Runs `python -m hacluster.demo` as a subprocess (on a free port, not 5405, so an
operator's own `make demo` does not clash) and checks the lines an operator relies on, then
that every daemon it started is gone and its temp dir removed, also after a Ctrl-C.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import REPO, pick_port

from hacluster.demo.cib import start_injections
from hacluster.demo.cluster import live_config_text, port_note

DEMO = [sys.executable, "-m", "hacluster.demo"]
RESOURCES = ("vip__management", "p_openstack-ceilometer-central", "p_neutron-dhcp-agent",
             "p_mysql", "p_rabbitmq-server", "p_haproxy", "p_neutron-l3-agent")

def demo_env(port: int) -> dict[str, str]:
    return {**os.environ, "HACLUSTER_DEMO_PORT": str(port), "PYTHONPATH": str(REPO / "src")}


def daemon_pids(output: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"started haclusterd node-\d on \S+ \(pid (\d+)\)",
                                           output)]


def is_alive_daemon(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"haclusterd" in cmdline or b"hacluster.drivers.daemon" in cmdline


def netns_list() -> list[str]:
    root = Path("/run/netns")
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def temp_dirs(output: str) -> list[Path]:
    return [Path(p).parent.parent for p in re.findall(r"(/\S+/live/corosync\.conf)", output)]


def test_the_demo_runs_a_live_cluster_and_the_cib_steps_and_leaves_nothing_behind() -> None:
    port = pick_port("demo")
    done = subprocess.run(DEMO, capture_output=True, text=True, timeout=400,
                          env=demo_env(port), stdin=subprocess.DEVNULL)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert f"mcastport {port} as asked" in out
    assert re.search(r"ring of 3 formed: ring id \S+, members node-1, node-2, node-3", out)
    assert "Quorate:          Yes" in out
    assert "all 9 messages arrived on all three nodes in the same order" in out
    assert re.search(r"node-1 and node-2 formed ring \S+ \(node-1, node-2\) \d+ ms after the"
                     r" kill", out)
    assert "node-1 sees: quorate yes, 2 of 3 votes (quorum 2)" in out
    assert re.search(r"node-3 rejoined: ring \S+ \(node-1, node-2, node-3\)", out)
    assert re.search(r"node-1 and node-3 formed ring \S+ \d+ ms after the SIGTERM", out)
    assert "corosync-quorumtool exit status 2: 2 means no quorum" in out
    assert "Activity blocked" in out
    assert re.search(r"quorum regained \d+ ms after node-2's restart", out)
    for resource in RESOURCES:
        assert re.search(rf"\* Start +{re.escape(resource)}(:\d+)? +\( node-\d \)", out), resource
    assert re.search(r"\* Start +p_openstack-ceilometer-alarm-evaluator +\( node-3 \)", out)
    assert "same addresses as corosync.conf: yes" in out
    assert "Node node-2: standby" in out
    assert "nothing is placed on the standby node" in out
    assert "every daemon stopped, temp dir removed" in out
    # the resources part: the stand-in EayunStack CIB runs, vip__public fails over, rejoin
    assert "p_mysql: ocf:mirantis:mysql-wss -> ocf:heartbeat:Dummy" in out
    assert re.search(r"resource vip__public is running on: node-\d", out)
    assert re.search(r"vip__public started on node-\d \d+ ms after the SIGKILL", out)
    assert re.search(r"node-\d rejoined and the cluster settled in", out)
    assert "NOTE:" not in out
    if os.geteuid() == 0:  # the real agents: HAProxy answers on the VIP, from the new holder
        holder, new_holder = re.search(r"SIGKILL of every process of (node-\d), and its machine"
                                       r" powered off", out).group(1), re.search(
            r"vip__public started on (node-\d) \d+ ms after the SIGKILL \(http://\S+ answers"
            r" 'served by node-\d'\)", out).group(1)
        assert holder != new_holder
        assert f"->  served by {holder}" in out
        assert "resources (the real agents" in out
        assert "lab removed" in out
        assert not [ns for ns in netns_list() if ns.startswith("hcl-dm")]
        assert "hcl-dm" not in subprocess.run(["ip", "-br", "link"], capture_output=True,
                                              text=True).stdout
    else:
        assert "stand-in agents (not root" in out
    pids = daemon_pids(out)
    assert len(pids) == 5, "three starts, then node-3 and node-2 restarted"
    assert not [pid for pid in pids if is_alive_daemon(pid)]
    assert temp_dirs(out) and not any(d.exists() for d in temp_dirs(out))


def read_until(process: subprocess.Popen[str], marker: str, timeout_s: float) -> str:
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout_s
    while marker not in seen and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
    return seen


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_demo_kills_its_daemons_and_removes_its_temp_dir(sig: int) -> None:
    process = subprocess.Popen(DEMO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=demo_env(pick_port(f"demo-{sig}")),
                               stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        seen = read_until(process, "ring of 3 formed", 60)
        assert "ring of 3 formed" in seen, seen
        process.send_signal(sig)
        rest, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    assert process.returncode == 130, errors
    assert "interrupted; stopping every daemon it started" in errors
    pids = daemon_pids(seen + rest)
    assert len(pids) >= 3
    assert not [pid for pid in pids if is_alive_daemon(pid)]
    assert temp_dirs(seen) and not any(d.exists() for d in temp_dirs(seen))


def test_the_live_config_takes_our_port_fast_timings_and_a_quorum_section() -> None:
    seed = ("totem {\n    token: 3000\n    token_retransmits_before_loss_const: 10\n"
            "    consensus: 3600\n    interface {\n        mcastport: 5405\n    }\n}\n")
    text, notes = live_config_text(seed, 23456, fast=True)
    assert "mcastport: 23456" in text and "5405" not in text
    assert "token: 1000" in text and "consensus: 1200" in text
    assert "token_retransmits_before_loss_const: 10" in text
    assert "provider: corosync_votequorum" in text
    assert any("1000 ms" in note for note in notes)
    kept, notes = live_config_text(seed, 5405, fast=False)
    assert "token: 3000" in kept and "mcastport: 5405" in kept
    assert any("unchanged" in note for note in notes)


def test_the_port_note_says_why_the_port_differs_from_the_seed() -> None:
    assert port_note(5405, 5405).startswith("mcastport 5405 as in the seed")
    assert port_note(5405, 21000) == "UDP port 5405 is busy here: using mcastport 21000 instead"
    assert port_note(23000, 23000).startswith("mcastport 23000 as asked")


def test_start_lines_become_op_injections_for_the_primitive_or_clone_child() -> None:
    summary = ["  * Start      p_mysql:0  ( node-2 )",
               "  * Start      vip__management                            ( node-1 )",
               "  * Stop       p_haproxy:1 ( node-3 )"]
    assert start_injections(summary) == ["-i", "p_mysql_start_0@node-2=0",
                                         "-i", "vip__management_start_0@node-1=0"]

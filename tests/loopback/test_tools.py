"""corosync-cfgtool / -quorumtool / -cmapctl (our console scripts) against live daemons, and
the shape of their output next to the real Corosync 3.1.7's (root only: it runs in netns)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from harness import REPO, Cluster, config_text, ring_of, wait_until

BIN = Path(sys.executable).parent


def tool(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True,
                          timeout=30, env={**os.environ, "HACLUSTER_STATE_DIR": str(state_dir)})


def test_the_tools_report_a_live_ring_and_a_lost_quorum(cluster: Cluster) -> None:
    text = config_text(cluster.port)
    daemons = [cluster.add(i, text) for i in (1, 2, 3)]
    for daemon in daemons:
        daemon.start()
    assert wait_until(lambda: ring_of(daemons), 20), cluster.logs()
    where = daemons[0].state_dir

    quorum = tool(where, "corosync-quorumtool", "-s")
    assert quorum.returncode == 0, quorum.stderr
    assert "Nodes:            3" in quorum.stdout and "Quorate:          Yes" in quorum.stdout
    assert re.search(r"^ *2130706433 +1 127\.0\.0\.1 \(local\)$", quorum.stdout, re.M)
    links = tool(where, "corosync-cfgtool", "-s")
    assert links.returncode == 0 and links.stdout.count("\tconnected") == 2
    cmap = tool(where, "corosync-cmapctl", "runtime.config.totem.token")
    assert "runtime.config.totem.token (u32) = 1000\n" in cmap.stdout
    members = tool(where, "corosync-cmapctl", "runtime.members")
    assert members.stdout.count(".status (str) = joined") == 3

    for daemon in daemons[1:]:
        daemon.signal(signal.SIGTERM)
    alone = wait_until(lambda: (s := daemons[0].status()) and len(s.members) == 1, 10)
    assert alone
    lost = tool(where, "corosync-quorumtool", "-s")
    assert lost.returncode == 2 and "Activity blocked" in lost.stdout
    listing = tool(where, "corosync-quorumtool", "-l")
    assert listing.returncode == 0 and listing.stdout.startswith("\nMembership information\n")
    down = tool(where, "corosync-cfgtool", "-s")
    assert down.stdout.count("\tdisconnected") == 2


def shape(text: str) -> list[str]:
    """A line's layout without its values: labels, separators and column positions."""
    out = []
    for line in text.splitlines():
        if line.startswith("Date:"):
            line = "Date: <date>"
        line = re.sub(r"^Ring ID: +\S+", "Ring ID: <ring>", line)
        line = re.sub(r"0x[0-9a-f]{8}", "N", line)
        line = re.sub(r"\d+(\.\d+)*", "N", line)
        # Membership rows: node ids (10 digits here, 1 digit there) and names differ.
        line = re.sub(r"^ *N +N( .*)?$", "<member>", line)
        line = re.sub(r"nodeid: +N:", "nodeid: N:", line)
        out.append(line.rstrip())
    return out


@pytest.mark.root
def test_our_tool_output_has_the_shape_of_corosyncs(cluster: Cluster) -> None:
    if os.geteuid() != 0 or shutil.which("corosync") is None:
        pytest.skip("needs root and the real corosync (network namespaces)")
    sys.path.insert(0, str(REPO / "bench"))
    from corosync_lab import CorosyncLab, wait_for

    text = config_text(cluster.port)
    daemons = [cluster.add(i, text) for i in (1, 2, 3)]
    for daemon in daemons:
        daemon.start()
    assert wait_until(lambda: ring_of(daemons), 20), cluster.logs()
    with CorosyncLab(1000, 1200) as lab:
        for index in (1, 2, 3):
            lab.start(index)
        assert wait_for(lambda: lab.quorum(1) == (3, True), 20)
        for args in (["corosync-quorumtool", "-s"], ["corosync-quorumtool", "-l"],
                     ["corosync-quorumtool", "-s", "-H"], ["corosync-quorumtool", "-l", "-p"],
                     ["corosync-quorumtool", "-l", "-i", "-oi"], ["corosync-cfgtool", "-s"]):
            theirs = subprocess.run(lab.exec_in(1, *args), capture_output=True, text=True,
                                    timeout=30)
            ours = tool(daemons[0].state_dir, *args)
            assert ours.returncode == theirs.returncode, args
            mine, real = shape(ours.stdout), shape(theirs.stdout)
            if args[0] == "corosync-cfgtool":  # the address line differs only in value
                mine = [m for m in mine if "addr" not in m]
                real = [r for r in real if "addr" not in r]
            assert mine == real, (args, ours.stdout, theirs.stdout)
        for prefix in ("runtime.config.totem", "runtime.members", "nodelist.node"):
            theirs = subprocess.run(lab.exec_in(1, "corosync-cmapctl", prefix),
                                    capture_output=True, text=True, timeout=30)
            ours = tool(daemons[0].state_dir, "corosync-cmapctl", prefix)
            assert key_types(ours.stdout) == key_types(theirs.stdout), prefix


def key_types(text: str) -> list[str]:
    """`key (type)` of each cmapctl line, node ids and positions generalized."""
    out = []
    for line in text.splitlines():
        key = line.split(" = ")[0]
        out.append(re.sub(r"\.\d+\.", ".N.", key))
    return sorted(set(out))

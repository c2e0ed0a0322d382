"""The CIB on a live 3-node loopback cluster: our cibadmin / pcs against any node, every
node ends with the same CIB, a restarted node comes back from its persisted copy and is
reconciled, and an older pushed CIB is refused (exit 103, like the real cibadmin)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from harness import Cluster, Daemon, config_text, ring_of, wait_until

from hacluster.cib import CIBRequest
from hacluster.common import Code, HaError
from hacluster.events import CibWrite, DaemonStatus

BIN = Path(sys.executable).parent
DUMMY = '<primitive id="{}" class="ocf" provider="pacemaker" type="Dummy"/>'


def tool(daemon: Daemon, *args: str, stdin: str | None = None,
         timeout_s: float = 30) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CIB_file"}
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True,
                          timeout=timeout_s, input=stdin,
                          env={**env, "HACLUSTER_STATE_DIR": str(daemon.state_dir)})


def cib_view(daemon: Daemon) -> tuple[str, str] | None:
    """(version, digest) of the node's CIB once its sync is done."""
    try:
        view = daemon.call(DaemonStatus()).view
    except Exception:  # noqa: BLE001 - a daemon starting up or gone
        return None
    if view is None or view.cib_syncing is not False:
        return None
    return view.cib_version, view.cib_digest


def same_cib(daemons: list[Daemon]) -> tuple[str, str] | None:
    views = {cib_view(d) for d in daemons}
    return next(iter(views)) if len(views) == 1 and None not in views else None


def start(cluster: Cluster) -> list[Daemon]:
    text = config_text(cluster.port, token_ms=500, consensus_ms=600)
    daemons = [cluster.add(i, text) for i in (1, 2, 3)]
    for daemon in daemons:
        daemon.start()
    assert wait_until(lambda: ring_of(daemons), 20), cluster.logs()
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    return daemons


def test_a_write_on_one_node_is_read_at_the_same_epoch_on_the_others(cluster: Cluster) -> None:
    daemons = start(cluster)
    created = tool(daemons[0], "cibadmin", "-C", "-o", "resources", "-X", DUMMY.format("r1"))
    assert created.returncode == 0, created.stderr
    again = tool(daemons[1], "cibadmin", "-C", "-o", "resources", "-X", DUMMY.format("r1"))
    assert again.returncode == 108, again.stderr
    modified = tool(daemons[2], "cibadmin", "-M", "-X",
                    '<primitive id="r1" description="changed on node 3"/>')
    assert modified.returncode == 0, modified.stderr
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    epochs = set()
    for daemon in daemons:
        query = tool(daemon, "cibadmin", "-Q")
        assert query.returncode == 0, query.stderr
        assert 'description="changed on node 3"' in query.stdout
        epochs.add(query.stdout.split('epoch="')[1].split('"')[0])
    # nodes section 2, the DC's dc-version/cluster-infrastructure 3, create 4, modify 5
    assert epochs == {"5"}, epochs
    pcs = tool(daemons[1], "pcs", "cluster", "cib")
    assert pcs.returncode == 0 and 'id="r1"' in pcs.stdout, pcs.stderr


def test_a_restarted_node_comes_back_with_the_new_cib(cluster: Cluster) -> None:
    daemons = start(cluster)
    daemons[2].kill()
    assert wait_until(lambda: ring_of(daemons[:2]), 20), cluster.logs()
    created = tool(daemons[0], "cibadmin", "-C", "-o", "resources", "-X", DUMMY.format("late"))
    assert created.returncode == 0, created.stderr
    assert (daemons[0].state_dir / "cib.xml.sig").is_file()
    assert 'id="late"' not in (daemons[2].state_dir / "cib.xml").read_text()
    daemons[2].start()
    assert wait_until(lambda: ring_of(daemons), 20), cluster.logs()
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    query = tool(daemons[2], "cibadmin", "-Q", "--xpath", "//primitive[@id='late']")
    assert query.returncode == 0 and 'id="late"' in query.stdout, query.stderr
    assert 'id="late"' in (daemons[2].state_dir / "cib.xml").read_text()


def test_pushing_an_older_cib_is_refused_with_a_version_conflict(cluster: Cluster) -> None:
    daemons = start(cluster)
    old = tool(daemons[1], "pcs", "cluster", "cib")
    assert old.returncode == 0, old.stderr
    old_file = cluster.root / "old.xml"
    old_file.write_text(old.stdout)
    created = tool(daemons[0], "cibadmin", "-C", "-o", "resources", "-X", DUMMY.format("new"))
    assert created.returncode == 0, created.stderr
    pushed = tool(daemons[2], "cibadmin", "--replace", "--xml-file", str(old_file))
    assert pushed.returncode == 103, (pushed.returncode, pushed.stderr)
    newer = tool(daemons[2], "pcs", "cluster", "cib")
    newer_file = cluster.root / "newer.xml"
    newer_file.write_text(newer.stdout.replace(DUMMY.format("new"), DUMMY.format("pushed")))
    push = tool(daemons[2], "pcs", "cluster", "cib-push", str(newer_file), "--config")
    assert push.returncode == 0, push.stderr + push.stdout
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    query = tool(daemons[0], "cibadmin", "-Q", "-o", "resources")
    assert 'id="pushed"' in query.stdout and 'id="new"' not in query.stdout, query.stdout


def test_a_two_node_cluster_writes_its_cib_with_one_node_left(cluster: Cluster) -> None:
    """One quorum (issue 10 item 3): the CIB follows votequorum's two_node, not a count."""
    text = config_text(cluster.port, token_ms=500, consensus_ms=600, members=2)
    text = text.replace("provider: corosync_votequorum\n",
                        "provider: corosync_votequorum\n    two_node: 1\n")
    daemons = [cluster.add(i, text) for i in (1, 2)]
    for daemon in daemons:
        daemon.start()
    assert wait_until(lambda: ring_of(daemons), 20), cluster.logs()
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    daemons[1].kill()
    assert wait_until(lambda: ring_of(daemons[:1]), 20), cluster.logs()
    assert wait_until(lambda: same_cib(daemons[:1]), 10), cluster.logs()
    created = tool(daemons[0], "cibadmin", "-C", "-o", "resources", "-X", DUMMY.format("solo"))
    assert created.returncode == 0, created.stderr
    daemons[1].start()
    assert wait_until(lambda: ring_of(daemons), 20), cluster.logs()
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    query = tool(daemons[1], "cibadmin", "-Q", "--xpath", "//primitive[@id='solo']")
    assert query.returncode == 0 and 'id="solo"' in query.stdout, query.stderr


def test_a_non_conforming_write_is_refused_by_the_cluster_even_when_the_client_skips_checks(
        cluster: Cluster) -> None:
    """cibadmin refuses with 78 as the real one does; a raw CibWrite that skipped the
    client's own check is refused by the node's replica (CIB_SCHEMA_INVALID) and no node's
    CIB changes."""
    if not Path("/usr/share/pacemaker/pacemaker-3.7.rng").is_file():
        pytest.skip("Pacemaker RelaxNG schemas not installed")
    daemons = start(cluster)
    before = same_cib(daemons)
    bogus = '<bogus id="x"/>'
    refused = tool(daemons[0], "cibadmin", "-C", "-o", "constraints", "-X", bogus)
    assert refused.returncode == 78, (refused.returncode, refused.stderr)
    assert "Update does not conform to the configured schema" in refused.stderr
    raw = CIBRequest("create", bogus, "constraints")
    with pytest.raises(HaError) as caught:
        daemons[1].call(CibWrite(raw.to_bytes()))
    assert [p.code for p in caught.value.problems] == [Code.CIB_SCHEMA_INVALID]
    fine = tool(daemons[2], "cibadmin", "-C", "-o", "resources", "-X", DUMMY.format("fine"))
    assert fine.returncode == 0, fine.stderr
    assert wait_until(lambda: same_cib(daemons) not in (None, before), 10), cluster.logs()
    for daemon in daemons:
        query = tool(daemon, "cibadmin", "-Q")
        assert 'id="fine"' in query.stdout and "bogus" not in query.stdout

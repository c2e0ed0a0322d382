"""pcs, crm_resource and crm_attribute against a live 3-node loopback cluster: the same
commands as on a file, written on one node and read on every other; a change that does not
conform to the schema is refused (exit 78) and nothing is replicated."""

from __future__ import annotations

from harness import Cluster, wait_until
from test_cib_live import same_cib, start, tool


def test_pcs_configures_a_live_cluster_and_every_node_reads_it(cluster: Cluster) -> None:
    daemons = start(cluster)
    steps = [
        ("pcs", "property", "set", "stonith-enabled=false"),
        ("pcs", "resource", "create", "d1", "ocf:heartbeat:Dummy", "--disabled"),
        ("pcs", "resource", "create", "d2", "ocf:heartbeat:Dummy", "--disabled", "clone"),
        ("pcs", "constraint", "colocation", "add", "d1", "with", "d2-clone"),
        ("pcs", "constraint", "order", "d2-clone", "then", "d1"),
        ("crm_resource", "-r", "d1", "--meta", "--set-parameter", "resource-stickiness",
         "-v", "1"),
    ]
    for step in steps:
        done = tool(daemons[0], *step)
        assert done.returncode == 0, (step, done.stderr)
    standby = tool(daemons[0], "pcs", "node", "standby")  # no node: this node
    assert standby.returncode == 0, standby.stderr
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    attrs = tool(daemons[2], "pcs", "node", "attribute")
    assert "standby=on" in attrs.stdout, attrs
    shown = tool(daemons[2], "pcs", "resource", "config", "d1")
    assert shown.returncode == 0 and "resource-stickiness=1" in shown.stdout, shown
    refs = tool(daemons[1], "pcs", "constraint", "ref", "d1")
    assert "colocation-d1-d2-clone-INFINITY" in refs.stdout, refs


def test_a_nonconforming_live_write_is_refused_and_not_replicated(cluster: Cluster) -> None:
    daemons = start(cluster)
    before = tool(daemons[0], "cibadmin", "-Q", "-o", "configuration").stdout
    refused = tool(daemons[1], "cibadmin", "-C", "-o", "constraints", "-X", '<bogus id="x"/>')
    assert refused.returncode == 78, refused.stderr
    assert "Update does not conform to the configured schema" in refused.stderr
    # Status updates may go on (num_updates); the configuration is untouched everywhere.
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    for daemon in daemons:
        assert tool(daemon, "cibadmin", "-Q", "-A", "//bogus").returncode == 105
    assert tool(daemons[0], "cibadmin", "-Q", "-o", "configuration").stdout == before

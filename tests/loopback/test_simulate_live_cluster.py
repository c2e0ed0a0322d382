"""crm_simulate -L on a live loopback cluster: it schedules the CIB the node serves."""

from __future__ import annotations

from harness import Cluster, wait_until
from test_cib_live import DUMMY, same_cib, start, tool


def test_crm_simulate_live_schedules_the_resource_just_created(cluster: Cluster) -> None:
    daemons = start(cluster)
    created = tool(daemons[0], "cibadmin", "-C", "-o", "resources", "-X", DUMMY.format("r1"))
    assert created.returncode == 0, created.stderr
    props = ('<cluster_property_set id="p"><nvpair id="p-s" name="stonith-enabled" '
             'value="false"/></cluster_property_set>')
    assert tool(daemons[0], "cibadmin", "-C", "-o", "crm_config", "-X", props).returncode == 0
    assert wait_until(lambda: same_cib(daemons), 10), cluster.logs()
    shown = tool(daemons[1], "crm_simulate", "-L", "-S")
    assert shown.returncode == 0, shown.stderr
    current, summary = shown.stdout.split("Transition Summary:")
    # The live CIB (read from another node) lists the resource just created; its nodes
    # come from the cluster's own node list.
    assert "r1\t(ocf:pacemaker:Dummy)" in current, shown.stdout
    assert "Executing Cluster Transition:" in summary

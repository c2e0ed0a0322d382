"""Masked secrets: crm_simulate (2.1.5, sanitized by default) reads a start whose op-digest
no longer matches but whose op-secure-digest (the parameters without those listed in
op-secure-params) still does as unchanged, since only masked values differ; a live
cluster's scheduler restarts it. Expected summaries read from the real crm_simulate."""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.api.simulate import simulate
from hacluster.scheduler import schedule

SECURE_OF_FAKE_1 = "2b1b5ccbabbdb96f3f7edb41b0775563"  # digest of {fake: 1}


def cib(secure_digest: str) -> str:
    rsc = ('<primitive id="d" class="ocf" provider="pacemaker" type="Dummy">'
           '<instance_attributes id="d-ia"><nvpair id="d-f" name="fake" value="1"/>'
           '<nvpair id="d-p" name="passwd" value="****"/></instance_attributes></primitive>')
    start = ('<lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy">'
             '<lrm_rsc_op id="d_last_0" operation_key="d_start_0" operation="start" '
             'crm_feature_set="3.16.1" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" '
             'call-id="2" rc-code="0" op-status="0" interval="0" '
             'op-digest="00000000000000000000000000000000" op-secure-params=" passwd " '
             f'op-secure-digest="{secure_digest}"/></lrm_resource>')
    states = cibkit.node_states(("node1",), {"node1": start})
    return cibkit.cib_text(("node1",), rsc, "", states, root=(
        'have-quorum="1" validate-with="pacemaker-3.7" epoch="1" num_updates="0" '
        'admin_epoch="0"'))


def simulated(text: str) -> list[str]:
    summary = simulate(text.encode(), now_s=0).transition.summary_lines()
    return [" ".join(line.split()) for line in summary]


def test_only_a_masked_parameter_differs_so_crm_simulate_keeps_the_resource() -> None:
    assert simulated(cib(SECURE_OF_FAKE_1)) == []


def test_a_visible_parameter_differs_too_so_it_restarts() -> None:
    assert simulated(cib("ffffffffffffffffffffffffffffffff")) == [
        "* Restart d ( node1 ) due to resource definition change"]


def test_a_live_cluster_restarts_it_whatever_the_secure_digest_says() -> None:
    lines = schedule(etree.fromstring(cib(SECURE_OF_FAKE_1).encode()), 0).summary_lines()
    assert [" ".join(line.split()) for line in lines] == [
        "* Restart d ( node1 ) due to resource definition change"]

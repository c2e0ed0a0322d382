"""Our CIB checks return every problem at once; upgrade rewrites 1.2 forms into 3.7 ones."""

from __future__ import annotations

import pytest

from hacluster.cib import (
    CIBVersion,
    create,
    modify,
    parse_cib,
    parse_fragment,
    upgrade,
    validate,
)
from hacluster.common import Code
from shared_paths import SHARED

REFERENCE = SHARED / "eayunstack" / "reference-cib.loopback.xml"

BROKEN = b"""<cib validate-with="pacemaker-3.7" crm_feature_set="3.19.0" epoch="1"
admin_epoch="0" num_updates="0"><configuration><crm_config/><nodes/><resources>
<primitive id="a" class="ocf" type="Dummy"><operations><op id="a-mon" name="monitor"/>
</operations></primitive>
<primitive id="b" class="magic" provider="x" type="y"/>
<primitive class="lsb" type="z"/>
<group id="a"/>
</resources><constraints>
<rsc_location id="l1" rsc="ghost" node="n1" score="lots"/>
<rsc_colocation id="c1" rsc="a" with-rsc="b" score="INFINITY"/>
</constraints></configuration><status/></cib>"""

OLD_STYLE = b"""<cib validate-with="pacemaker-1.2" crm_feature_set="3.0.7" epoch="10" admin_epoch="0"
num_updates="4"><configuration><crm_config><cluster_property_set id="cib-bootstrap-options">
<nvpair id="o-stick" name="default-resource-stickiness" value="100"/>
<nvpair id="o-stonith" name="stonith-enabled" value="false"/>
</cluster_property_set></crm_config>
<nodes><node id="1" uname="node-1"/></nodes><resources>
<master id="ms_db"><meta_attributes id="ms_db-meta">
<nvpair id="ms_db-max" name="master-max" value="1"/></meta_attributes>
<primitive id="db" class="ocf" provider="pacemaker" type="Stateful"><operations>
<op id="db-mon-m" name="monitor" interval="10" role="Master"/>
<op id="db-mon-s" name="monitor" interval="11" role="Slave"/></operations></primitive></master>
<primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
<instance_attributes id="ip-ia"><nvpair id="ip-ip" name="ip" value="127.0.0.9"/>
</instance_attributes></primitive>
</resources><constraints>
<rsc_colocation id="ip-with-db" rsc="ip" with-rsc="ms_db" with-rsc-role="Master" score="INFINITY"/>
<rsc_order id="db-then-ip" first="ms_db" first-action="promote" then="ip" then-action="start"
 score="INFINITY"/>
<rsc_order id="adv" first="ip" then="ms_db" score="0"/>
<rsc_location id="db-pref" rsc="ms_db"><rule id="db-pref-r" score="50" role="Master">
<expression id="db-pref-e" attribute="#uname" operation="eq" value="node-1"/></rule></rsc_location>
</constraints></configuration><status/></cib>"""


def test_every_problem_is_reported_at_once() -> None:
    problems = validate(parse_cib(BROKEN))
    codes = [p.code for p in problems]
    for code in (Code.CIB_FEATURE_SET_TOO_NEW, Code.CIB_ID_MISSING, Code.CIB_ID_DUPLICATE,
                 Code.CIB_UNKNOWN_REFERENCE, Code.CIB_BAD_SCORE,
                 Code.CIB_UNKNOWN_RESOURCE_CLASS, Code.CIB_MISSING_ATTRIBUTE):
        assert code in codes, code
    assert sum(c is Code.CIB_MISSING_ATTRIBUTE for c in codes) >= 2  # provider, interval
    assert all(p.details is not None for p in problems)


@pytest.mark.parametrize("schema,ok", [("pacemaker-1.2", True), ("pacemaker-2.10", True),
                                       ("pacemaker-3.7", True), ("pacemaker-3.9", True),
                                       ("pacemaker-1.0", False), ("pacemaker-4.0", False),
                                       ("none", False)])
def test_schema_names_from_1_2_to_3_x_are_accepted(schema: str, ok: bool) -> None:
    doc = parse_cib(OLD_STYLE.replace(b"pacemaker-1.2", schema.encode()))
    codes = [p.code for p in validate(doc)]
    assert (Code.CIB_UNKNOWN_SCHEMA not in codes) is ok


def test_reference_and_old_style_cibs_have_no_problems() -> None:
    assert validate(parse_cib(OLD_STYLE)) == []
    if REFERENCE.is_file():
        assert validate(parse_cib(REFERENCE.read_bytes())) == []


def test_upgrade_rewrites_master_roles_and_order_scores() -> None:
    old = parse_cib(OLD_STYLE)
    new, _ = upgrade(old)
    assert new.validate_with == "pacemaker-3.7"
    assert new.version == CIBVersion(0, 11, 0)
    assert not new.xpath("//master")
    assert new.xpath("//clone[@id='ms_db']/meta_attributes/nvpair[@name='promotable']"
                     "[@value='true']")
    assert not new.xpath("//@*[.='Master' or .='Slave']")
    assert new.xpath("//op[@id='db-mon-m'][@role='Promoted']")
    assert new.xpath("//rsc_order[@id='db-then-ip'][@kind='Mandatory'][not(@score)]")
    assert new.xpath("//rsc_order[@id='adv'][@kind='Optional']")
    assert new.xpath("//rsc_defaults/meta_attributes/nvpair[@name='resource-stickiness']"
                     "[@value='100']")
    assert not new.xpath("//nvpair[@name='default-resource-stickiness']")
    assert validate(new) == []
    assert old.xpath("//master"), "upgrade must not change its input"


def test_old_and_upgraded_cibs_pass_the_real_schemas_and_crm_verify(cib_schema_check) -> None:  # type: ignore[no-untyped-def]
    cib_schema_check(OLD_STYLE, "pacemaker-1.2", verify=False)  # deprecated forms warn
    new, _ = upgrade(parse_cib(OLD_STYLE))
    cib_schema_check(new.to_bytes())


def test_edits_we_make_pass_the_real_schema_and_crm_verify(cib_schema_check) -> None:  # type: ignore[no-untyped-def]
    if not REFERENCE.is_file():
        pytest.skip(f"reference CIB not found at {REFERENCE}")
    doc = parse_cib(REFERENCE.read_bytes())
    doc, _ = create(doc, parse_fragment('<primitive id="d1" class="ocf" provider="pacemaker" '
                                        'type="Dummy"><operations><op id="d1-mon" '
                                        'name="monitor" interval="10s"/></operations>'
                                        '</primitive>'), "resources")
    doc, _ = create(doc, parse_fragment('<rsc_location id="d1-pref" rsc="d1" node="node-2" '
                                        'score="50"/>'), "constraints")
    doc, _ = modify(doc, parse_fragment('<nvpair id="cib-bootstrap-options-no-quorum-policy" '
                                        'value="stop"/>'))
    doc, _ = modify(doc, parse_fragment('<status><node_state id="1" uname="node-1" '
                                        'in_ccm="true" crmd="online" join="member" '
                                        'expected="member"/></status>'), "status")
    cib_schema_check(doc.to_bytes())

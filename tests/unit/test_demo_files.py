"""The demo's shipped files: the EayunStack corosync.conf in both dialects and the CIB.

They live inside the package, so `make demo` works from a fresh clone with no ../shared.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from hacluster.config import parse_config
from hacluster.demo import app
from hacluster.demo.files import EAYUNSTACK_CIB, MEMBER_CONFIG, NODELIST_CONFIG, data_file

TOP_LEVEL = (
    "vip__public", "clone_ping_vip__public", "vip__management", "clone_p_openstack-heat-engine",
    "p_openstack-ceilometer-central", "p_openstack-ceilometer-alarm-evaluator",
    "clone_p_neutron-openvswitch-agent", "p_neutron-dhcp-agent", "clone_p_neutron-metadata-agent",
    "clone_p_neutron-l3-agent", "clone_p_neutron-lbaas-agent", "clone_p_mysql",
    "clone_p_rabbitmq-server", "clone_p_haproxy",
)


def test_the_demo_files_ship_inside_the_package() -> None:
    package = Path(app.__file__).parent
    for name in (MEMBER_CONFIG, NODELIST_CONFIG, EAYUNSTACK_CIB):
        assert data_file(name).is_relative_to(package)


def test_demo_describes_nodes_timings_and_quorum() -> None:
    config, _ = app.read_cluster(data_file(MEMBER_CONFIG))
    out = "\n".join(
        app.describe_nodes(config) + app.describe_timings(config) + app.describe_quorum(config)
    )
    assert "3 nodes, transport udpu" in out
    for nodeid in ("2130706433", "2130706434", "2130706435"):
        assert nodeid in out
    assert "token 3000 ms, token_retransmit 294 ms" in out
    assert "consensus 3600 ms, join 60 ms" in out
    assert "expected votes 3, quorum 2" in out


def test_both_dialects_name_the_same_three_loopback_nodes() -> None:
    members = parse_config(data_file(MEMBER_CONFIG).read_text())
    nodelist = parse_config(data_file(NODELIST_CONFIG).read_text())
    addresses = [("127.0.0.1",), ("127.0.0.2",), ("127.0.0.3",)]
    assert [n.addresses for n in members.nodes] == addresses
    assert [n.addresses for n in nodelist.nodes] == addresses
    assert [(n.nodeid, n.name) for n in nodelist.nodes] == [(1, "node-1"), (2, "node-2"),
                                                           (3, "node-3")]
    for config in (members, nodelist):
        assert config.totem.transport == "udpu"
        assert config.totem.consensus_ms == 3600 and config.totem.max_messages == 20
        assert config.quorum.provider == "corosync_votequorum"


def test_the_cib_has_the_fourteen_eayunstack_resources_on_the_nodelist_names() -> None:
    cib = etree.parse(str(data_file(EAYUNSTACK_CIB)))
    resources = cib.find("configuration/resources")
    assert resources is not None
    assert tuple(child.get("id") for child in resources) == TOP_LEVEL
    unames = [(n.get("id"), n.get("uname")) for n in cib.iterfind("configuration/nodes/node")]
    assert unames == [("1", "node-1"), ("2", "node-2"), ("3", "node-3")]
    locations = {c.get("id") for c in cib.iterfind("configuration/constraints/rsc_location")}
    assert len(locations) == 42 + 1 and "loc_ping_vip__public" in locations


def test_the_cib_passes_the_schema_and_the_real_crm_verify(cib_schema_check) -> None:  # type: ignore[no-untyped-def]
    cib_schema_check(data_file(EAYUNSTACK_CIB).read_bytes())

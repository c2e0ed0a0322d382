"""The demo's real-agent CIB: one configuration, per-node parameter sets with #uname rules.

Each node's agents must get their own namespace, interface and file names although the
three nodes share one host; the heavy services stay stand-ins, said in a note."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from hacluster.demo.files import data_file
from hacluster.demo.realagents import Params, real_configuration
from hacluster.scheduler import params_on_node

NODES = ("node-1", "node-2", "node-3")


def lab_params() -> Params:
    return {"vip__public": {n: {"ns": f"hcl-dm{n[-1]}-haproxy", "nic": f"hcl-dm{n[-1]}-ex"}
                            for n in NODES},
            "p_openstack-heat-engine": {n: {"binary": f"/lab/{n}/bin/heat-engine"}
                                        for n in NODES}}


def full_cib(config: str) -> etree._Element:
    shipped = etree.parse(str(data_file("eayunstack-cib.xml"))).getroot()
    old = shipped.find("configuration")
    assert old is not None
    shipped.replace(old, etree.fromstring(config))
    return shipped


def primitive(root: etree._Element, rid: str) -> etree._Element:
    found = root.find(f".//primitive[@id='{rid}']")
    assert found is not None
    return found


def test_each_node_gets_its_own_values_and_the_shared_ones() -> None:
    config, _ = real_configuration(data_file("eayunstack-cib.xml"), lab_params())
    root = full_cib(config)
    vip = primitive(root, "vip__public")
    for node in NODES:
        params = params_on_node(root, vip, node)
        assert params["ns"] == f"hcl-dm{node[-1]}-haproxy"
        assert params["nic"] == f"hcl-dm{node[-1]}-ex"
        assert params["gateway"] == "link" and params["cidr_netmask"] == "24"
    heat = primitive(root, "p_openstack-heat-engine")
    assert params_on_node(root, heat, "node-2") == {"binary": "/lab/node-2/bin/heat-engine"}
    assert params_on_node(root, vip, "node-9")["ns"] == "haproxy", "no rule: the plain set"


def test_the_heavy_services_become_dummy_and_the_notes_say_so() -> None:
    config, notes = real_configuration(data_file("eayunstack-cib.xml"), lab_params())
    root = full_cib(config)
    for rid in ("p_mysql", "p_rabbitmq-server"):
        prim = primitive(root, rid)
        assert (prim.get("provider"), prim.get("type")) == ("heartbeat", "Dummy")
        assert prim.find("instance_attributes") is None
    assert any(n.startswith("p_mysql: ocf:mirantis:mysql-wss -> ocf:heartbeat:Dummy")
               for n in notes)
    assert any("dampen 30s -> 5s" in n for n in notes)


@pytest.mark.skipif(shutil.which("crm_verify") is None, reason="crm_verify not installed")
def test_the_real_crm_verify_accepts_the_per_node_configuration(tmp_path: Path) -> None:
    config, _ = real_configuration(data_file("eayunstack-cib.xml"), lab_params())
    path = tmp_path / "cib.xml"
    path.write_bytes(etree.tostring(full_cib(config)))
    done = subprocess.run(["crm_verify", "-x", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr

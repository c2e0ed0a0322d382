"""CIBDocument: safe parsing, sections, versions, digest."""

from __future__ import annotations

import pytest

from hacluster.cib import CIBVersion, empty_cib, parse_cib, parse_fragment
from hacluster.common import Code, HaError
from shared_paths import SHARED

REFERENCE = SHARED / "eayunstack" / "reference-cib.loopback.xml"

SMALL = b"""<cib validate-with="pacemaker-1.2" crm_feature_set="3.0.7" admin_epoch="0" epoch="5"
  num_updates="2"><configuration><crm_config/><nodes/><resources>
  <primitive id="d1" class="ocf" provider="pacemaker" type="Dummy"/></resources>
  <constraints/></configuration><status/></cib>"""


def reference_bytes() -> bytes:
    if not REFERENCE.is_file():
        pytest.skip(f"reference CIB not found at {REFERENCE}")
    return REFERENCE.read_bytes()


def test_parse_reads_version_schema_and_sections() -> None:
    doc = parse_cib(SMALL)
    assert doc.version == CIBVersion(0, 5, 2)
    assert doc.version == (0, 5, 2)
    assert doc.validate_with == "pacemaker-1.2"
    assert doc.crm_feature_set == "3.0.7"
    resources = doc.section("resources")
    assert resources is not None and resources[0].get("id") == "d1"
    assert doc.find_by_id("d1") is not None
    assert doc.section("rsc_defaults") is None


def test_version_precedence_is_admin_epoch_then_epoch_then_num_updates() -> None:
    assert CIBVersion(1, 0, 0) > CIBVersion(0, 99, 99)
    assert CIBVersion(0, 2, 0) > CIBVersion(0, 1, 50)
    assert CIBVersion(0, 1, 2) > CIBVersion(0, 1, 1)
    assert str(CIBVersion(0, 1, 2)) == "0.1.2"


def test_parse_completes_missing_sections_and_counters() -> None:
    doc = parse_cib(b'<cib validate-with="pacemaker-3.7"/>')
    assert doc.version == (0, 0, 0)
    for name in ("configuration", "crm_config", "nodes", "resources", "constraints", "status"):
        assert doc.section(name) is not None, name


def test_reference_cib_parses_and_digest_ignores_attribute_order() -> None:
    doc = parse_cib(reference_bytes())
    assert len(doc.xpath("//primitive")) >= 10
    reordered = parse_cib(SMALL.replace(b'class="ocf" provider="pacemaker"',
                                        b'provider="pacemaker" class="ocf"'))
    assert reordered.digest() == parse_cib(SMALL).digest()
    changed = parse_cib(SMALL.replace(b'epoch="5"', b'epoch="6"'))
    assert changed.digest() != parse_cib(SMALL).digest()


def test_serialization_round_trips() -> None:
    doc = parse_cib(reference_bytes())
    again = parse_cib(doc.to_bytes())
    assert again.digest() == doc.digest()
    assert doc.to_text().startswith("<cib")


def test_root_other_than_cib_is_refused() -> None:
    with pytest.raises(HaError) as info:
        parse_cib(b"<configuration/>")
    assert info.value.problems[0].code is Code.CIB_NOT_A_CIB


def test_syntax_error_is_reported_as_data() -> None:
    with pytest.raises(HaError) as info:
        parse_cib(b"<cib><configuration></cib>")
    assert info.value.problems[0].code is Code.CIB_XML_SYNTAX


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE cib [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<cib validate-with="pacemaker-3.7"><configuration><crm_config><cluster_property_set id="c">
<nvpair id="n" name="x" value="&xxe;"/></cluster_property_set></crm_config><nodes/>
<resources/><constraints/></configuration></cib>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<cib>&lol3;</cib>"""

NETWORK_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE cib SYSTEM "http://127.0.0.1:9/cib.dtd"><cib/>"""


XXE_UTF16 = XXE.replace(b'<?xml version="1.0"?>',
                        b'<?xml version="1.0" encoding="UTF-16"?>').decode().encode("utf-16")


@pytest.mark.parametrize("payload", [XXE, LAUGHS, NETWORK_DTD, XXE_UTF16],
                         ids=["xxe", "laughs", "dtd", "xxe-utf16"])
def test_unsafe_xml_is_rejected_with_a_clear_error(payload: bytes) -> None:
    with pytest.raises(HaError) as info:
        parse_cib(payload)
    assert info.value.problems[0].code is Code.CIB_UNSAFE_XML
    with pytest.raises(HaError):
        parse_fragment(payload)


def test_overdeep_and_oversize_input_is_rejected() -> None:
    deep = b"<cib>" + b"<a>" * 100 + b"</a>" * 100 + b"</cib>"
    with pytest.raises(HaError) as info:
        parse_cib(deep)
    assert info.value.problems[0].code is Code.CIB_UNSAFE_XML
    from hacluster.cib import parse_xml
    with pytest.raises(HaError) as info:
        parse_xml(b"<cib/>" + b" " * 2000, max_bytes=1000)
    assert "limit" in info.value.problems[0].message


def test_empty_cib_has_current_schema_and_feature_set() -> None:
    doc = empty_cib()
    assert doc.validate_with == "pacemaker-3.7"
    assert doc.crm_feature_set == "3.16.1"
    assert doc.version == (0, 1, 0)

"""Is this CIB valid? `crm_verify` and `pcs cluster verify` ask here.

Owns the checks run on a whole CIB: the installed Pacemaker RelaxNG schema named by
validate-with (loaded by api/env.py), then our structural and reference checks
(hacluster.cib.validate). Must never print.
"""

from __future__ import annotations

from types import MappingProxyType

from hacluster.api import env as api_env
from hacluster.cib import CIBDocument, parse_cib, validate
from hacluster.common import Code, Problem, Severity, is_true


def problems(env: api_env.CIBEnvironment) -> list[Problem]:
    return document_problems(env.read())


def text_problems(text: str) -> list[Problem]:
    return document_problems(parse_cib(text))


def document_problems(doc: CIBDocument) -> list[Problem]:
    found: list[Problem] = []
    check = api_env.schema_check(doc.validate_with)
    if check is not None:
        found += [Problem(Code.CIB_SCHEMA_INVALID, f"Relax-NG validity error: {line}",
                          MappingProxyType({}), Severity.ERROR)
                  for line in check(doc.root)]
    return found + list(validate(doc)) + fencing_problems(doc)


NO_FENCING = ("Resource start-up disabled since no STONITH resources have been defined",
              "Either configure some or disable STONITH with the stonith-enabled option",
              "NOTE: Clusters with shared data need STONITH to ensure data integrity")


def fencing_problems(doc: CIBDocument) -> list[Problem]:
    """Pacemaker refuses to start resources while fencing is enabled (the default) and
    no fence device is configured; crm_verify reports that as an error."""
    enabled = "true"
    for nvpair in doc.root.iterfind("configuration/crm_config/cluster_property_set/nvpair"):
        if nvpair.get("name") == "stonith-enabled":
            enabled = str(nvpair.get("value", "true"))
    if not is_true(enabled, default=True):
        return []
    if any(p.get("class") == "stonith" for p in doc.root.iterfind(
            "configuration/resources//primitive")):
        return []
    return [Problem(Code.CIB_MISSING_ATTRIBUTE, text, MappingProxyType({"stage": "unpack_resources"}),
                    Severity.ERROR) for text in NO_FENCING]

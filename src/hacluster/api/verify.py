"""Is this CIB valid? `crm_verify` and `pcs cluster verify` ask here.

Owns the checks run on a whole CIB: the installed Pacemaker RelaxNG schema named by
validate-with (loaded by api/env.py), then our structural and reference checks
(hacluster.cib.validate). Must never print.
"""

from __future__ import annotations

from types import MappingProxyType

from hacluster.api import env as api_env
from hacluster.cib import CIBDocument, parse_cib, validate
from hacluster.common import Code, Problem, Severity


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
    return found + list(validate(doc))

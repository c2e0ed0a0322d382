"""Is this CIB valid? `crm_verify` and `pcs cluster verify` ask here.

Owns the checks run on a whole CIB: the installed Pacemaker RelaxNG schema named by
validate-with (through hacluster.cib's schema validation), our structural and reference
checks (hacluster.cib.validate), and the scheduler's unpack of the configuration.
Must never print.
"""

from __future__ import annotations

from hacluster.api.env import CIBEnvironment
from hacluster.cib import CIBDocument, validate
from hacluster.common import Problem


def problems(env: CIBEnvironment) -> list[Problem]:
    return document_problems(env.read())


def document_problems(doc: CIBDocument) -> list[Problem]:
    return list(validate(doc))

"""Where the repository and the read-only ../shared test data live (HACLUSTER_SHARED overrides).

A plain module, not a conftest: `from conftest import ...` is ambiguous once pytest has
loaded more than one conftest.py (tests/ and tests/loopback/ both have one).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HACLUSTER_SHARED", REPO.parent / "shared"))

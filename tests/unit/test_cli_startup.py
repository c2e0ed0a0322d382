"""The command-line tools' live paths start lean: what a command does not use is not
imported (each tool is a new Python process, and its imports are most of its run time)."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print(*sys.modules)"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_crm_resource_move_imports_no_scheduler_and_no_replication() -> None:
    loaded = loaded_after("import hacluster.cli.crm_resource")
    assert not {m for m in loaded if m.startswith("hacluster.scheduler")}
    assert not {"hacluster.api.status", "hacluster.cib.replica", "hacluster.cib.messages",
                "xml.sax.saxutils", "urllib.request", "ssl"} & loaded


def test_the_replication_core_still_loads_on_first_use() -> None:
    loaded = loaded_after("from hacluster.cib import CIBReplica, CIB_CODEC\n"
                          "assert CIBReplica.__name__ == 'CIBReplica' and CIB_CODEC")
    assert "hacluster.cib.replica" in loaded and "hacluster.cib.messages" in loaded

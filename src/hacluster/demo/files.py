"""The demo's own files, shipped as package data in `hacluster/demo/data/`.

Owns their names and where they are found once installed (importlib.resources), so the demo
needs nothing beside the repository. Must never point at ../shared or any path outside the
package. The files: the EayunStack corosync.conf in the seed's `interface { member }` dialect
and in the Corosync 2 `nodelist` dialect (both on 127.0.0.1-3), and the EayunStack CIB.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

MEMBER_CONFIG = "corosync.conf"
NODELIST_CONFIG = "corosync.nodelist.conf"
EAYUNSTACK_CIB = "eayunstack-cib.xml"


def data_file(name: str) -> Path:
    """The path of one shipped demo file (a real file: installs are not zipped)."""
    path = Path(str(resources.files("hacluster.demo").joinpath("data", name)))
    assert path.is_file(), f"demo file {name} is missing from the package"
    return path

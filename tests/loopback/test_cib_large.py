"""A large CIB on a live 3-node cluster (issue 9, item 2): four writes of 4.4 MB each make a
17.6 MB CIB that every node stores, replicates and serves; no daemon dies, every query works."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Cluster, config_text, ring_of, wait_until
from test_cib_live import same_cib, tool

from hacluster.common import MAX_CIB_BYTES

WRITE_BYTES = 4_400_000


def big_primitive(name: str) -> str:
    """One primitive whose instance attributes add up to about WRITE_BYTES of XML."""
    pair = '<nvpair id="{0}-p{1}" name="p{1}" value="{2}"/>'
    value = "v" * 80
    pairs = []
    size = 0
    while size < WRITE_BYTES:
        pairs.append(pair.format(name, len(pairs), value))
        size += len(pairs[-1])
    return (f'<primitive id="{name}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<instance_attributes id="{name}-ia">{"".join(pairs)}</instance_attributes>'
            f'</primitive>')


@pytest.mark.slow
def test_a_17_mb_cib_is_written_and_read_on_every_node(cluster: Cluster, tmp_path: Path) -> None:
    # Applying a 4.4 MB write takes the node seconds of CPU on a loaded machine (the CIB
    # operations run inside the daemon's loop): a token that outlasts it keeps the ring.
    text = config_text(cluster.port, token_ms=20_000, consensus_ms=24_000)
    daemons = [cluster.add(i, text) for i in (1, 2, 3)]
    for daemon in daemons:
        daemon.start()
    assert wait_until(lambda: ring_of(daemons), 30), cluster.logs()
    assert wait_until(lambda: same_cib(daemons), 30), cluster.logs()
    for n in range(4):
        path = tmp_path / f"big{n}.xml"
        path.write_text(big_primitive(f"big{n}"))
        created = tool(daemons[n % 3], "cibadmin", "-C", "-o", "resources", "-x", str(path),
                       timeout_s=120)
        assert created.returncode == 0, created.stderr
    for daemon in daemons:
        query = tool(daemon, "cibadmin", "-Q", timeout_s=120)
        assert query.returncode == 0, query.stderr
        assert 17_600_000 < len(query.stdout) < MAX_CIB_BYTES
        assert all(f'id="big{n}"' in query.stdout for n in range(4))
        assert daemon.is_running(), cluster.logs()
    assert same_cib(daemons), cluster.logs()

"""Lab port slots: a slot is taken when any of its ports is listened on; the search wraps."""

from hacluster.agents.lab_ports import first_free_slot


def ports(slot: int) -> list[int]:
    return [20000 + slot * 10 + k for k in range(3)]


def test_the_seeds_slot_when_free_else_the_next_free_one_and_0_when_all_are_taken() -> None:
    assert first_free_slot(6, "", ports) == 7
    busy = "LISTEN 0 80 127.0.0.1:20071 0.0.0.0:*\n"
    assert first_free_slot(6, busy, ports) == 8
    assert first_free_slot(249, "", ports) == 250
    assert first_free_slot(250, "", ports) == 1  # wraps round
    everything = "".join(f"x :{p} y\n" for slot in range(1, 251) for p in ports(slot)[:1])
    assert first_free_slot(0, everything, ports) == 0

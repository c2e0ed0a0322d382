"""attrd stepped by hand: agreed-order updates, one writer, dampening, leave and join."""

from __future__ import annotations

from typing import Any

from hacluster.attrd import (
    Attrd,
    AttrdDeliver,
    AttrdMembers,
    AttrdSend,
    AttrValue,
    AttrWrite,
)
from hacluster.events import AttrdRefresh, AttrUpdate, Tick


class Group:
    """Three attrd cores joined by a perfect agreed-order group."""

    def __init__(self, names: tuple[str, ...] = ("node1", "node2", "node3")) -> None:
        self.cores = {name: Attrd(name) for name in names}
        self.writes: dict[str, list[AttrWrite]] = {name: [] for name in names}
        self.membership(0, names)

    def handle(self, now_ms: int, name: str, outputs: list[Any]) -> None:
        for out in outputs:
            if isinstance(out, AttrdSend):
                for other in sorted(self.cores):
                    self.handle(now_ms, other,
                                self.cores[other].step(now_ms, AttrdDeliver(name, out.data)))
            else:
                assert isinstance(out, AttrWrite)
                self.writes[name].append(out)

    def update(self, now_ms: int, at: str, update: AttrUpdate) -> None:
        self.handle(now_ms, at, self.cores[at].step(now_ms, update))

    def membership(self, now_ms: int, names: tuple[str, ...]) -> None:
        for name in names:
            self.handle(now_ms, name, self.cores[name].step(now_ms, AttrdMembers(names)))

    def tick(self, now_ms: int) -> None:
        for name in sorted(self.cores):
            self.handle(now_ms, name, self.cores[name].step(now_ms, Tick()))


def test_an_update_reaches_every_member_and_only_the_writer_writes_it() -> None:
    group = Group()
    group.update(10, "node3", AttrUpdate("node3", "pingd", "100"))
    for core in group.cores.values():
        assert core.query("pingd") == (AttrValue("node3", "pingd", "100", "reboot"),)
        assert core.status().writer == "node1"
    assert group.writes == {"node1": [AttrWrite("node3", "pingd", "100", "reboot")],
                            "node2": [], "node3": []}


def test_an_update_is_applied_only_when_delivered_back() -> None:
    core = Attrd("node1")
    core.step(0, AttrdMembers(("node1",)))
    (send,) = core.step(1, AttrUpdate("node1", "a", "1"))
    assert core.query("a") == ()
    assert core.step(2, AttrdDeliver("node1", send.data)) == [AttrWrite("node1", "a", "1", "reboot")]


def test_dampening_writes_the_settled_value_once_the_changes_stop() -> None:
    """Each change restarts the attribute's delay (Pacemaker's attrd restarts its timer)."""
    group = Group()
    group.update(0, "node2", AttrUpdate("node2", "pingd", "100", dampen_ms=5_000))
    group.update(2_000, "node2", AttrUpdate("node2", "pingd", "0", dampen_ms=5_000))
    group.update(3_000, "node2", AttrUpdate("node2", "pingd", "200", dampen_ms=5_000))
    assert group.cores["node1"].next_deadline_ms() == 8_000
    assert group.cores["node1"].status().pending_writes == (("node2", "pingd", 8_000),)
    group.tick(7_999)
    assert group.writes["node1"] == []
    group.tick(8_000)
    assert group.writes["node1"] == [AttrWrite("node2", "pingd", "200", "reboot")]
    assert group.cores["node1"].next_deadline_ms() is None


def test_nodes_noticing_the_same_change_apart_are_written_together() -> None:
    """Dampening is per attribute, not per node: node2 and node3 lose their ping gateway 4 s
    apart; the CIB gets both zeros in the same flush, never node2's alone (a scheduler run
    in between would move a resource to node3 only to stop it there)."""
    group = Group()
    group.update(0, "node2", AttrUpdate("node2", "pingd", "0", dampen_ms=30_000))
    group.update(4_000, "node3", AttrUpdate("node3", "pingd", "0", dampen_ms=30_000))
    group.tick(30_000)
    assert group.writes["node1"] == []
    group.tick(34_000)
    assert group.writes["node1"] == [AttrWrite("node2", "pingd", "0", "reboot"),
                                     AttrWrite("node3", "pingd", "0", "reboot")]


def test_an_undampened_attribute_is_written_at_once_beside_a_dampened_one() -> None:
    group = Group()
    group.update(0, "node2", AttrUpdate("node2", "pingd", "0", dampen_ms=30_000))
    group.update(10, "node3", AttrUpdate("node3", "fail-count-d1#start_0", "1"))
    assert group.writes["node1"] == [AttrWrite("node3", "fail-count-d1#start_0", "1", "reboot")]


def test_a_private_attribute_is_known_everywhere_but_never_written() -> None:
    """attrd_updater -p: private only when it creates the attribute (as Pacemaker)."""
    group = Group()
    group.update(0, "node2", AttrUpdate("node2", "secret", "1", private=True))
    group.update(1, "node3", AttrUpdate("node3", "secret", "2"))
    group.update(2, "node2", AttrUpdate("node2", "public", "1"))
    group.update(3, "node2", AttrUpdate("node2", "public", "2", private=True))
    assert [v.value for v in group.cores["node3"].query("secret")] == ["1", "2"]
    assert group.writes["node1"] == [AttrWrite("node2", "public", "1", "reboot"),
                                     AttrWrite("node2", "public", "2", "reboot")]
    group.membership(10, ("node2", "node3"))  # a new writer writes what it knows
    assert [w.name for w in group.writes["node2"]] == ["public"]


def test_a_refresh_makes_the_writer_write_every_value_again() -> None:
    group = Group()
    group.update(0, "node2", AttrUpdate("node2", "a", "1"))
    group.update(0, "node3", AttrUpdate("node3", "b", "2", lifetime="forever"))
    group.update(0, "node2", AttrUpdate("node2", "c", "3", dampen_ms=60_000))
    group.writes["node1"].clear()
    group.handle(5, "node3", group.cores["node3"].step(5, AttrdRefresh()))
    assert group.writes == {"node1": [AttrWrite("node2", "a", "1", "reboot"),
                                      AttrWrite("node3", "b", "2", "forever"),
                                      AttrWrite("node2", "c", "3", "reboot")],
                            "node2": [], "node3": []}


def test_a_new_dampening_alone_keeps_the_value_and_writes_it_now() -> None:
    """attrd_updater -Y -d: the value stays; a changed delay writes the attribute."""
    group = Group()
    group.update(0, "node2", AttrUpdate("node2", "pingd", "100", dampen_ms=60_000))
    group.update(10, "node2", AttrUpdate("node2", "pingd", None, dampen_ms=5_000,
                                         delay_only=True))
    assert [v.value for v in group.cores["node1"].query("pingd")] == ["100"]
    assert group.writes["node1"] == [AttrWrite("node2", "pingd", "100", "reboot")]
    group.update(20, "node2", AttrUpdate("node2", "pingd", "0", dampen_ms=5_000))
    group.tick(5_020)
    assert group.writes["node1"][-1] == AttrWrite("node2", "pingd", "0", "reboot")


def test_a_delete_removes_the_value_everywhere_and_from_the_cib() -> None:
    group = Group()
    group.update(0, "node1", AttrUpdate("node2", "fail-count-d1#start_0", "INFINITY"))
    group.update(1, "node3", AttrUpdate("node2", "fail-count-d1#start_0", None))
    assert all(core.query("fail-count-d1#start_0") == () for core in group.cores.values())
    assert group.writes["node1"][-1] == AttrWrite("node2", "fail-count-d1#start_0", None, "reboot")


def test_a_leaving_node_loses_its_transient_values_but_not_its_permanent_ones() -> None:
    group = Group()
    group.update(0, "node3", AttrUpdate("node3", "pingd", "100"))
    group.update(0, "node3", AttrUpdate("node3", "site", "east", lifetime="forever"))
    group.membership(10, ("node1", "node2"))
    assert group.cores["node2"].query("pingd") == ()
    assert [v.value for v in group.cores["node2"].query("site")] == ["east"]
    assert AttrWrite("node3", "pingd", None, "reboot") in group.writes["node1"]
    assert AttrWrite("node3", "site", None, "forever") not in group.writes["node1"]


def test_a_new_writer_writes_everything_it_knows() -> None:
    group = Group()
    group.update(0, "node2", AttrUpdate("node2", "a", "1"))
    group.update(0, "node3", AttrUpdate("node3", "b", "2", dampen_ms=60_000))
    group.membership(100, ("node2", "node3"))
    assert group.cores["node2"].status().writer == "node2"
    assert group.writes["node2"] == [AttrWrite("node2", "a", "1", "reboot"),
                                     AttrWrite("node3", "b", "2", "reboot")]


def test_joining_nodes_learn_each_members_own_values() -> None:
    group = Group()
    group.membership(0, ("node1", "node2"))
    group.cores["node3"] = Attrd("node3")
    group.writes["node3"] = []
    group.update(1, "node2", AttrUpdate("node2", "pingd", "100"))
    group.membership(10, ("node1", "node2", "node3"))
    assert group.cores["node3"].query("pingd") == (AttrValue("node2", "pingd", "100", "reboot"),)


def test_a_member_is_the_authority_on_its_own_values_when_groups_merge() -> None:
    a, b = Attrd("node1"), Attrd("node2")
    a.step(0, AttrdMembers(("node1",)))
    b.step(0, AttrdMembers(("node2",)))
    # Before the merge node1 wrongly believes node2's pingd is 0 (a value from long ago).
    (stale,) = a.step(1, AttrUpdate("node2", "pingd", "0"))
    a.step(1, AttrdDeliver("node1", stale.data))
    (fresh,) = b.step(1, AttrUpdate("node2", "pingd", "100"))
    b.step(1, AttrdDeliver("node2", fresh.data))
    syncs = [(n, o) for n, core in (("node1", a), ("node2", b))
             for o in core.step(5, AttrdMembers(("node1", "node2"))) if isinstance(o, AttrdSend)]
    for sender, out in syncs:
        for core in (a, b):
            core.step(6, AttrdDeliver(sender, out.data))
    assert a.query("pingd") == b.query("pingd") == (AttrValue("node2", "pingd", "100", "reboot"),)


def test_garbage_and_forged_messages_are_dropped_and_counted() -> None:
    group = Group()
    node2 = group.cores["node2"]
    (sync,) = [o for o in Attrd("node3").step(0, AttrdMembers(("node3",)))
               if isinstance(o, AttrdSend)]
    assert node2.step(0, AttrdDeliver("node1", b"\xff garbage")) == []
    assert node2.step(0, AttrdDeliver("node1", sync.data)) == [], "node1 cannot speak for node3"
    assert node2.step(0, AttrUpdate("node2", "", "1")) == []
    assert node2.step(0, AttrUpdate("node2", "x", "1", lifetime="week")) == []
    assert node2.status().dropped == 4

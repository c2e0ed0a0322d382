"""secauth: sealing, forgery, replay, truncation, wrong keys and restarts (boot epochs)."""

from __future__ import annotations

import pytest

from hacluster.totem import secauth
from hacluster.totem.secauth import REPLAY_WINDOW, Secauth

KEY = bytes(range(128))
OTHER_KEY = bytes(reversed(range(128)))


def pair(cipher: str = "aes256", crypto_hash: str = "sha256") -> tuple[Secauth, Secauth]:
    return (Secauth(KEY, 1, 1000, cipher, crypto_hash), Secauth(KEY, 2, 2000, cipher, crypto_hash))


@pytest.mark.parametrize("cipher", ["aes256", "aes192", "aes128", "chacha20"])
@pytest.mark.parametrize("crypto_hash", ["sha1", "sha256", "sha512"])
def test_a_sealed_packet_opens_with_the_same_key(cipher: str, crypto_hash: str) -> None:
    a, b = pair(cipher, crypto_hash)
    opened = b.open(a.seal(b"token"))
    assert opened is not None
    assert (opened.sender, opened.epoch, opened.data) == (1, 1000, b"token")
    assert b.status().accepted == 1 and a.status().sealed == 1


def test_the_plaintext_does_not_appear_on_the_wire() -> None:
    a, _ = pair()
    assert b"secret-payload" not in a.seal(b"secret-payload")


def test_a_flipped_bit_anywhere_is_dropped_as_forged() -> None:
    a, b = pair()
    packet = a.seal(b"hello world")
    for index in range(len(packet)):
        mutated = bytearray(packet)
        mutated[index] ^= 0x01
        assert b.open(bytes(mutated)) is None
    assert b.status().accepted == 0
    assert b.status().dropped == len(packet)
    assert b.open(packet) is not None, "forgeries must not poison the window"


def test_a_replayed_packet_is_dropped_and_counted() -> None:
    a, b = pair()
    packet = a.seal(b"x")
    assert b.open(packet) is not None
    assert b.open(packet) is None
    assert b.status().replayed == 1


def test_out_of_order_packets_inside_the_window_are_accepted_once() -> None:
    a, b = pair()
    packets = [a.seal(bytes([i])) for i in range(10)]
    for p in reversed(packets):
        assert b.open(p) is not None
    for p in packets:
        assert b.open(p) is None
    assert b.status().accepted == 10 and b.status().replayed == 10


def test_a_packet_older_than_the_window_is_dropped() -> None:
    a, b = pair()
    old = a.seal(b"old")
    for _ in range(REPLAY_WINDOW):
        assert b.open(a.seal(b"n")) is not None
    assert b.open(old) is None
    assert b.status().replayed == 1


@pytest.mark.parametrize("length", [0, 1, 10, secauth.HEADER.size, secauth.OVERHEAD - 1])
def test_a_truncated_packet_is_dropped_and_counted(length: int) -> None:
    a, b = pair()
    assert b.open(a.seal(b"payload")[:length]) is None
    assert b.status().truncated == 1


def test_a_cut_ciphertext_is_dropped_as_forged() -> None:
    a, b = pair()
    assert b.open(a.seal(b"a longer payload")[:-3]) is None
    assert b.status().forged == 1


def test_a_node_with_another_key_cannot_be_heard() -> None:
    stranger = Secauth(OTHER_KEY, 3, 5, "aes256", "sha256")
    _, b = pair()
    for i in range(5):
        assert b.open(stranger.seal(bytes([i]))) is None
    assert b.status().forged == 5 and b.status().accepted == 0


def test_a_different_cipher_is_not_accepted() -> None:
    a = Secauth(KEY, 1, 1, "chacha20")
    b = Secauth(KEY, 2, 1, "aes256")
    assert b.open(a.seal(b"x")) is None


def test_a_restarted_sender_with_a_newer_epoch_is_accepted_and_old_epoch_replays_refused() -> None:
    before = Secauth(KEY, 1, 1000)
    _, b = pair()
    old_packets = [before.seal(b"before") for _ in range(3)]
    assert b.open(old_packets[0]) is not None
    after = Secauth(KEY, 1, 1001)  # restart: the counter starts again at 1
    assert b.open(after.seal(b"after")) is not None
    assert b.open(old_packets[1]) is None
    assert b.status().stale_epoch == 1


def test_a_sender_spoofing_another_node_id_cannot_forge_its_key_context() -> None:
    a, b = pair()
    packet = bytearray(a.seal(b"x"))
    packet[4:8] = (9).to_bytes(4, "big")  # claim to be node 9
    assert b.open(bytes(packet)) is None
    assert b.status().forged == 1


def test_random_garbage_never_raises() -> None:
    import random

    rng = random.Random(7)
    _, b = pair()
    for _ in range(500):
        size = rng.randrange(0, 200)
        assert b.open(bytes(rng.randrange(256) for _ in range(size))) is None
    assert b.status().accepted == 0


def test_secauth_is_enabled_as_corosync_documents() -> None:
    assert secauth.is_enabled("on", "none", "none")
    assert not secauth.is_enabled("off", "none", "none")
    assert not secauth.is_enabled("off", "", "")
    assert secauth.is_enabled("off", "aes256", "none")
    assert secauth.is_enabled("off", "none", "sha256")


def test_a_unicast_relayed_to_a_third_member_is_dropped_as_relayed() -> None:
    x, y, z = (Secauth(KEY, n, 1000 * n) for n in (1, 2, 3))
    for_y = x.seal(b"token for 2", 2)
    assert z.check(for_y) == "relayed", "sealed X->Y, re-sent to Z"
    assert z.status().relayed == 1 and z.status().dropped == 1
    opened = y.open(for_y)
    assert opened is not None and opened.data == b"token for 2"
    assert z.open(x.seal(b"token for 3", 3)) is not None, "a relay does not poison the window"


def test_a_multicast_is_valid_at_every_member_once() -> None:
    x, y, z = (Secauth(KEY, n, 1000 * n) for n in (1, 2, 3))
    everyone = x.seal(b"mcast")
    assert y.open(everyone) is not None and z.open(everyone) is not None
    assert z.check(everyone) == "replayed", "a relayed copy of a multicast: already had it"


def test_the_destination_cannot_be_rewritten() -> None:
    x, _, z = (Secauth(KEY, n, 1000 * n) for n in (1, 2, 3))
    packet = bytearray(x.seal(b"token for 2", 2))
    dst_at = secauth.HEADER.size - 20  # destination u32, before epoch u64 and counter u64
    packet[dst_at:dst_at + 4] = (3).to_bytes(4, "big")
    assert z.check(bytes(packet)) == "forged"

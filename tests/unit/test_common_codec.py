"""The codec carries every frozen dataclass it is given and refuses peer garbage quietly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hacluster.common import Codec, DecodeError, NodeId


class Color(StrEnum):
    RED = "red"
    GREEN = "green"


class Level(IntEnum):
    LOW = 1
    HIGH = 2


@dataclass(frozen=True, slots=True)
class Inner:
    node: NodeId
    name: str


@dataclass(frozen=True, slots=True)
class Ping:
    seq: int


@dataclass(frozen=True, slots=True)
class Everything:
    number: int
    flag: bool
    ratio: float
    text: str
    data: bytes
    color: Color
    level: Level
    maybe: int | None
    members: tuple[NodeId, ...]
    pair: tuple[str, int]
    tags: frozenset[str]
    votes: Mapping[NodeId, int]
    inner: Inner
    inners: tuple[Inner, ...]
    either: Ping | Inner
    kind: Literal["join", "leave"]
    blobs: tuple[bytes, ...] = ()
    extra: Any = None
    default: int = 7


@dataclass(frozen=True, slots=True)
class Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


CODEC = Codec({"test.everything": Everything, "test.ping": Ping, "test.inner": Inner,
               "test.checked": Checked})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8)
finite = st.floats(allow_nan=False, allow_infinity=False)
inners = st.builds(Inner, st.integers(0, 2**32).map(NodeId), st.text())
everything = st.builds(
    Everything, number=st.integers(), flag=st.booleans(), ratio=finite, text=st.text(),
    data=st.binary(), color=st.sampled_from(Color), level=st.sampled_from(Level),
    maybe=st.none() | st.integers(), members=st.lists(st.integers(0, 99).map(NodeId)).map(tuple),
    pair=st.tuples(st.text(), st.integers()), tags=st.frozensets(st.text()),
    votes=st.dictionaries(st.integers(0, 99).map(NodeId), st.integers()),
    inner=inners, inners=st.lists(inners, max_size=3).map(tuple),
    either=st.builds(Ping, st.integers()) | inners, kind=st.sampled_from(["join", "leave"]),
    blobs=st.lists(st.binary(), max_size=3).map(tuple), extra=json_values,
    default=st.integers())


@given(everything)
def test_every_supported_field_type_round_trips(value: Everything) -> None:
    decoded = CODEC.decode(CODEC.encode(value))
    assert decoded == value
    assert CODEC.decode(CODEC.encode(decoded)) == decoded
    assert CODEC.from_json(json.loads(json.dumps(CODEC.to_json(value)))) == value


@given(everything)
def test_equal_values_encode_to_equal_bytes(value: Everything) -> None:
    again = Everything(**{name: getattr(value, name) for name in Everything.__slots__})
    assert CODEC.encode(again) == CODEC.encode(value)


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_random_bytes_never_raise(data: bytes) -> None:
    result = CODEC.check(data)
    assert isinstance(result, DecodeError) or type(result) in CODEC.classes.values()


@given(everything, st.data())
@settings(max_examples=300)
def test_mutated_payloads_never_raise(value: Everything, data: st.DataObject) -> None:
    payload = bytearray(CODEC.encode(value))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(payload) - 1))
        payload[at] = data.draw(st.integers(0, 255))
    result = CODEC.check(bytes(payload))
    assert isinstance(result, DecodeError) or isinstance(result, Everything)


@given(json_values)
def test_any_json_document_never_raises(tree: Any) -> None:
    assert CODEC.decode(json.dumps(tree).encode()) is None or isinstance(tree, dict)
    if isinstance(tree, dict):
        CODEC.check(json.dumps({**tree, "@": "test.everything"}).encode())


def test_bytes_travel_raw_after_the_json() -> None:
    payload = CODEC.encode(Ping(3))
    assert payload == b'{"@":"test.ping","seq":3}'
    inner = Inner(NodeId(1), "a")
    big = Everything(1, True, 0.5, "t", b'<cib a="1"/>' * 1000, Color.RED, Level.LOW, None,
                     (), ("x", 1), frozenset(), MappingProxyType({}), inner, (), inner, "join")
    encoded = CODEC.encode(big)
    assert len(encoded) < len(big.data) + 600  # no base64, no escaping of quotes
    assert encoded.endswith(big.data)


@pytest.mark.parametrize("payload,why", [
    (b"", "not JSON"),
    (b"[1]", "not a JSON object"),
    (b'{"@":"nope"}', "unknown tag"),
    (b'{"@":[]}', "the tag is not a string"),
    (b'{"@":{"a":1}}', "the tag is not a string"),
    (b'{"@":"test.ping"}', "do not match"),
    (b'{"@":"test.ping","seq":1,"more":2}', "do not match"),
    (b'{"@":"test.ping","seq":"1"}', "expected an integer"),
    (b'{"@":"test.ping","seq":true}', "expected an integer"),
    (b'{"@":"test.checked","value":-1}', "refused its fields"),
    (b'{"@":"test.inner","node":1,"name":"x"}\x00', "test.inner"),
    (b"[" * 100_000, "not JSON"),
])
def test_malformed_payloads_say_why(payload: bytes, why: str) -> None:
    result = CODEC.check(payload)
    if why == "test.inner":
        assert result == Inner(NodeId(1), "x")
        return
    assert isinstance(result, DecodeError) and why in result.reason
    assert CODEC.decode(payload) is None


def test_bytes_references_outside_the_payload_are_refused() -> None:
    good = CODEC.encode(Everything(
        1, True, 0.5, "t", b"abc", Color.RED, Level.LOW, None, (), ("x", 1), frozenset(),
        MappingProxyType({}), Inner(NodeId(1), "a"), (), Ping(1), "join"))
    assert good.endswith(b"\x00abc")
    assert CODEC.decode(good[:-1]) is None  # the reference runs past the end
    assert CODEC.decode(good.replace(b'"data":[0,3]', b'"data":[-1,3]')) is None
    assert CODEC.decode(good.replace(b'"data":[0,3]', b'"data":[0,3.0]')) is None


def test_decode_can_insist_on_a_class() -> None:
    payload = CODEC.encode(Ping(1))
    assert CODEC.decode(payload, Ping) == Ping(1)
    assert CODEC.decode(payload, Inner) is None
    assert CODEC.decode(payload, (Inner, Ping)) == Ping(1)


def test_missing_fields_with_defaults_take_them() -> None:
    assert CODEC.decode(b'{"@":"test.checked","value":4}') == Checked(4)
    tree = json.loads(CODEC.encode(Ping(1)))
    assert tree == {"@": "test.ping", "seq": 1}


def test_registering_a_type_the_codec_cannot_carry_is_a_bug() -> None:
    @dataclass(frozen=True)
    class Bad:
        handle: object = field(default=None)

    with pytest.raises(AssertionError):
        Codec({"bad": Bad}).compile_all()  # classes compile on first use, or all at once
    with pytest.raises(AssertionError):
        Codec({"bad": Bad}).encode(Bad())
    with pytest.raises(AssertionError):
        Codec({"a": Ping, "b": Ping})


def test_every_codec_of_the_package_can_carry_all_its_classes() -> None:
    from hacluster.attrd import WIRE
    from hacluster.cib.messages import CIB_CODEC
    from hacluster.controller.messages import CODEC as CRMD_CODEC
    from hacluster.controller.scheduling import WORKER_CODEC
    from hacluster.events import IPC_CODEC
    from hacluster.node_services import FENCE_WIRE

    for codec in (WIRE, CIB_CODEC, CRMD_CODEC, WORKER_CODEC, IPC_CODEC, FENCE_WIRE):
        codec.compile_all()


def test_encoding_a_wrong_value_is_a_bug_not_a_silent_corruption() -> None:
    with pytest.raises(AssertionError):
        CODEC.encode(Ping("1"))  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        CODEC.encode(object())


def test_a_lone_surrogate_from_a_peer_survives_re_encoding() -> None:
    decoded = CODEC.decode(b'{"@":"test.inner","node":1,"name":"\\ud800"}')
    assert decoded == Inner(NodeId(1), "\ud800")
    assert CODEC.decode(CODEC.encode(decoded)) == decoded

"""Tagged-JSON encoding of frozen dataclasses: the one codec for wire, IPC and state files.

Owns `Codec`, an immutable registry of message classes by a stable tag, and its format:
one JSON object per message, `{"@": tag, field: value, ...}`, then (only when the message
holds bytes) a NUL byte and the raw bytes of every `bytes` field, which the JSON refers to
as `[offset, length]`. JSON never contains a raw NUL, so the first NUL ends it; bytes travel
unescaped (a CIB of 17 MB costs 17 MB, not 23 MB of base64). Field types come from the
dataclass annotations: int, bool, float, str, bytes, None, enums, tuples, frozensets,
Mappings, nested dataclasses, unions, Literal, NewType and `Any` (a plain JSON value).
Must never use pickle or eval, never raise on peer input (`decode` returns None, `check`
says why) and never hold module-level mutable state: a tag, once used, keeps its meaning.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, NewType, Union, get_args, get_origin, get_type_hints

__all__ = ["Codec", "DecodeError", "Malformed"]

TAG_KEY = "@"
BLOB_MARK = b"\x00"


class Malformed(Exception):  # noqa: N818 - internal signal, never leaves this module
    """Raised inside decoding only; `Codec.check` turns it into a DecodeError."""


@dataclass(frozen=True, slots=True)
class DecodeError:
    """Why a payload was refused (for counters and debug logs; never shown as a traceback)."""

    reason: str


Encoder = Callable[[Any, "_Sink"], Any]
Decoder = Callable[[Any, "_Blobs"], Any]


class _Sink:
    """The bytes fields of one message being encoded, in order, and their total size."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0


class _Blobs:
    """The bytes section of one payload, read by [offset, length] references."""

    __slots__ = ("data", "start")

    def __init__(self, data: bytes, start: int) -> None:
        self.data = data
        self.start = start

    def take(self, ref: Any) -> bytes:
        if type(ref) is not list or len(ref) != 2:
            raise Malformed("bytes reference is not [offset, length]")
        offset, length = ref
        if type(offset) is not int or type(length) is not int or offset < 0 or length < 0:
            raise Malformed("bytes reference is not two natural numbers")
        start = self.start + offset
        if start + length > len(self.data) or self.start == 0 and length:
            raise Malformed("bytes reference outside the payload")
        return self.data[start:start + length]


class Codec:
    """An immutable tag → class registry with compiled per-field encoders and decoders.

    `Codec({"cib.update": CIBUpdate, ...})`; `encode(msg) -> bytes`; `decode(data) -> msg |
    None`; `check(data) -> msg | DecodeError`; `to_json(msg)` / `from_json(obj)` for a
    message embedded in another JSON document (bytes as latin-1 text there)."""

    def __init__(self, tags: Mapping[str, type]) -> None:
        by_class: dict[type, str] = {}
        for tag, cls in tags.items():
            assert dataclasses.is_dataclass(cls), f"{cls!r} is not a dataclass"
            assert cls not in by_class, f"{cls.__name__} registered twice"
            by_class[cls] = tag
        self._classes: Mapping[str, type] = MappingProxyType(dict(tags))
        self._tags: Mapping[type, str] = MappingProxyType(by_class)
        # Compiled on first use of a class (a tool that sends one request pays for that
        # one, not for the whole vocabulary); only finished (de)coders are ever added here.
        self._encoders: dict[type, Encoder] = {}
        self._decoders: dict[type, Decoder] = {}

    def compile_all(self) -> None:
        """Compile every registered class now (tests: a class the codec cannot carry is an
        AssertionError here, not at its first message)."""
        for cls in self._classes.values():
            self._compiled(cls)

    def _compiled(self, cls: type) -> tuple[Encoder, Decoder]:
        """`cls`'s encoder and decoder, compiled into private maps and published when
        complete, so a thread never sees the placeholders of a compilation in progress."""
        encoder = self._encoders.get(cls)
        if encoder is not None:
            return encoder, self._decoders[cls]
        assert cls in self._tags, f"{cls.__name__} is not registered in this codec"
        encoders, decoders = dict(self._encoders), dict(self._decoders)
        self._compile_class(cls, encoders, decoders)
        self._decoders.update(decoders)  # decoders first: an encoder found implies both
        self._encoders.update(encoders)
        return encoders[cls], decoders[cls]

    @property
    def classes(self) -> Mapping[str, type]:
        return self._classes

    def tag_of(self, cls: type) -> str:
        return self._tags[cls]

    # ---------------------------------------------------------------- encoding

    def encode(self, message: Any) -> bytes:
        """The payload of a registered message (our own value: misuse is asserted)."""
        sink = _Sink()
        encoder = self._encoders.get(type(message)) or self._compiled(type(message))[0]
        tree = encoder(message, sink)
        text = json.dumps(tree, separators=(",", ":"),
                          allow_nan=False).encode()
        if not sink.parts:
            return text
        return b"".join([text, BLOB_MARK, *sink.parts])

    def to_json(self, message: Any) -> Any:
        """The message as a JSON value with bytes inlined as latin-1 text (no attachments)."""
        sink = _Sink()
        encoder = self._encoders.get(type(message)) or self._compiled(type(message))[0]
        tree = encoder(message, sink)
        if not sink.parts:
            return {"payload": tree}
        return {"payload": tree, "blobs": [b.decode("latin-1") for b in sink.parts]}

    # ---------------------------------------------------------------- decoding

    def decode(self, data: bytes, expect: type | tuple[type, ...] = object) -> Any:
        """The message in `data`, or None when it is malformed, unknown or not `expect`."""
        result = self.check(data, expect)
        return None if isinstance(result, DecodeError) else result

    def check(self, data: bytes, expect: type | tuple[type, ...] = object) -> Any:
        """The message in `data`, or a DecodeError saying why not. Never raises."""
        try:
            if not isinstance(data, bytes | bytearray | memoryview):
                raise Malformed("payload is not bytes")
            if type(data) is not bytes:
                data = bytes(data)
            end = data.find(BLOB_MARK)
            text = data if end < 0 else data[:end]
            tree = _parse_json(text)
            message = self._decode_tree(tree, _Blobs(data, 0 if end < 0 else end + 1))
        except Malformed as error:
            return DecodeError(str(error))
        except RecursionError:
            return DecodeError("payload nested too deeply")
        if not isinstance(message, expect):
            return DecodeError(f"{type(message).__name__} is not what was expected")
        return message

    def from_json(self, value: Any) -> Any:
        """Inverse of to_json; None when malformed."""
        try:
            if not isinstance(value, dict) or not set(value) <= {"payload", "blobs"}:
                raise Malformed("not a to_json value")
            texts = value.get("blobs", [])
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise Malformed("blobs are not text")
            raw = b"".join(t.encode("latin-1") for t in texts)
            return self._decode_tree(value["payload"], _Blobs(b"\x00" + raw, 1 if texts else 0))
        except (Malformed, KeyError, UnicodeEncodeError, RecursionError):
            return None

    def _decode_tree(self, tree: Any, blobs: _Blobs) -> Any:
        if type(tree) is not dict:
            raise Malformed("payload is not a JSON object")
        tag = tree.get(TAG_KEY)
        if type(tag) is not str:
            raise Malformed(f"the tag is not a string: {tag!r}"[:200])
        cls = self._classes.get(tag)
        if cls is None:
            raise Malformed(f"unknown tag {tag!r}"[:200])
        decoder = self._decoders.get(cls) or self._compiled(cls)[1]
        return decoder(tree, blobs)

    # ---------------------------------------------------------------- compiling

    def _compile_class(self, cls: type, encoders: dict[type, Encoder],
                       decoders: dict[type, Decoder]) -> None:
        if cls in encoders:
            return
        # Placeholders first: a dataclass may (indirectly) contain itself.
        encoders[cls] = lambda v, b: encoders[cls](v, b)
        decoders[cls] = lambda v, b: decoders[cls](v, b)
        hints = get_type_hints(cls)
        fields = [f for f in dataclasses.fields(cls) if f.init]
        assert all(f.name != TAG_KEY for f in fields)
        compiled = [(f.name, *self._compile(hints[f.name], encoders, decoders)) for f in fields]
        required = frozenset(f.name for f in fields if f.default is dataclasses.MISSING
                             and f.default_factory is dataclasses.MISSING)
        names = frozenset(f.name for f in fields)
        tag = self._tags.get(cls)
        complete = names | {TAG_KEY} if tag is not None else names

        def encode(value: Any, blobs: _Sink) -> Any:
            out: dict[str, Any] = {TAG_KEY: tag} if tag is not None else {}
            for name, enc, _ in compiled:
                out[name] = enc(getattr(value, name), blobs)
            return out

        def decode(tree: Any, blobs: _Blobs) -> Any:
            if type(tree) is not dict:
                raise Malformed(f"{cls.__name__} is not a JSON object")
            # A registered class always carries its tag (encode writes it): an untagged
            # object is not one of them, so a union of classes is told apart by tags only.
            if (tree.get(TAG_KEY) if tag is not None else tree.get(TAG_KEY, tag)) != tag:
                raise Malformed(f"{cls.__name__} has tag {tree.get(TAG_KEY)!r}")
            if tree.keys() != complete:  # else every field is there, and nothing else
                keys = tree.keys() - {TAG_KEY}
                if not keys <= names or not required <= keys:
                    raise Malformed(f"{cls.__name__} fields {sorted(keys)} do not match")
            kwargs = {}
            for name, _, dec in compiled:
                if name in tree:
                    try:
                        kwargs[name] = dec(tree[name], blobs)
                    except Malformed as error:
                        raise Malformed(f"{cls.__name__}.{name}: {error}") from None
            try:
                return cls(**kwargs)
            except (TypeError, ValueError, AssertionError) as error:
                raise Malformed(f"{cls.__name__} refused its fields: {error}") from None

        encoders[cls] = encode
        decoders[cls] = decode

    def _compile(self, hint: Any, encoders: dict[type, Encoder],
                 decoders: dict[type, Decoder]) -> tuple[Encoder, Decoder]:
        """(encoder, decoder) for one annotated type."""
        while isinstance(hint, NewType):
            hint = hint.__supertype__
        origin, args = get_origin(hint), get_args(hint)
        if hint in _SCALARS:
            return _SCALARS[hint]
        if hint is Any:
            return _json_value
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return _enum(hint)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            self._compile_class(hint, encoders, decoders)
            return (lambda v, b: encoders[hint](v, b)), (lambda v, b: decoders[hint](v, b))
        if origin is Literal:
            return _literal(args)
        if origin in (Union, types.UnionType):
            return _union([self._compile(a, encoders, decoders) for a in args], args)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return _sequence(self._compile(args[0], encoders, decoders), tuple)
            return _fixed_tuple([self._compile(a, encoders, decoders) for a in args])
        if origin is frozenset:
            return _sequence(self._compile(args[0], encoders, decoders), frozenset)
        if origin in (Mapping, dict, MappingProxyType) or hint in (dict, Mapping):
            key = self._compile(args[0] if args else Any, encoders, decoders)
            value = self._compile(args[1] if args else Any, encoders, decoders)
            return _mapping(key, value)
        raise AssertionError(f"the codec cannot carry {hint!r}")


# ------------------------------------------------------------------ leaf (de)coders


_RAW_DECODE = json.JSONDecoder().raw_decode  # stateless; json.loads without its detours


def _parse_json(text: bytes) -> Any:
    """The JSON value of `text`: the decoder's raw_decode first (what json.loads does, minus
    its detours: encoding detection, whitespace scans); json.loads for anything else."""
    try:
        string = text.decode()  # ours is UTF-8 (json.dumps escapes everything to ASCII)
    except UnicodeDecodeError as error:
        raise Malformed(f"not JSON: {str(error)[:80]}") from None
    try:
        tree, end = _RAW_DECODE(string)
        if end == len(string):
            return tree
    except (ValueError, RecursionError):
        pass  # json.loads below says why (or accepts surrounding whitespace)
    try:
        return json.loads(string)
    except (ValueError, RecursionError) as error:
        raise Malformed(f"not JSON: {str(error)[:80]}") from None


def _exact(kind: type, name: str) -> tuple[Encoder, Decoder]:
    def decode(value: Any, _: _Blobs) -> Any:
        if type(value) is not kind:
            raise Malformed(f"expected {name}, got {type(value).__name__}")
        return value

    def encode(value: Any, _: _Sink) -> Any:
        assert isinstance(value, kind) and (kind is bool or not isinstance(value, bool)), \
            f"expected {name}, got {value!r}"
        return value if type(value) is kind else kind(value)

    return encode, decode


def _float_decode(value: Any, _: _Blobs) -> float:
    if type(value) not in (int, float):
        raise Malformed(f"expected a number, got {type(value).__name__}")
    return float(value)


def _float_encode(value: Any, _: _Sink) -> Any:
    assert isinstance(value, int | float) and not isinstance(value, bool)
    return float(value)


def _bytes_encode(value: Any, sink: _Sink) -> Any:
    assert isinstance(value, bytes | bytearray), f"expected bytes, got {type(value).__name__}"
    offset = sink.size
    sink.parts.append(bytes(value))
    sink.size += len(value)
    return [offset, len(value)]


def _bytes_decode(value: Any, blobs: _Blobs) -> bytes:
    return blobs.take(value)


def _none_encode(value: Any, _: _Sink) -> None:
    assert value is None, f"expected None, got {value!r}"


def _none_decode(value: Any, _: _Blobs) -> None:
    if value is not None:
        raise Malformed("expected null")


_SCALARS: Mapping[Any, tuple[Encoder, Decoder]] = MappingProxyType({
    int: _exact(int, "an integer"),
    bool: _exact(bool, "a boolean"),
    str: _exact(str, "a string"),
    float: (_float_encode, _float_decode),
    bytes: (_bytes_encode, _bytes_decode),
    type(None): (_none_encode, _none_decode),
    None: (_none_encode, _none_decode),
})


def _json_value_decode(value: Any, _: _Blobs) -> Any:
    return value  # anything json.loads produced is a plain JSON value already


def _json_value_encode(value: Any, _: _Sink) -> Any:
    return value  # json.dumps refuses what is not JSON (a bug of ours: it raises)


_json_value: tuple[Encoder, Decoder] = (_json_value_encode, _json_value_decode)


def _enum(kind: type[enum.Enum]) -> tuple[Encoder, Decoder]:
    def decode(value: Any, _: _Blobs) -> Any:
        try:
            return kind(value)
        except (ValueError, TypeError):
            raise Malformed(f"{value!r} is not a {kind.__name__}") from None

    return (lambda v, b: kind(v).value), decode


def _literal(values: tuple[Any, ...]) -> tuple[Encoder, Decoder]:
    def decode(value: Any, _: _Blobs) -> Any:
        if not any(type(value) is type(v) and value == v for v in values):
            raise Malformed(f"{value!r} is not one of {list(values)}")
        return value

    return (lambda v, b: v), decode


def _union(parts: list[tuple[Encoder, Decoder]], hints: tuple[Any, ...]) -> tuple[Encoder, Decoder]:
    checks = [_runtime_check(h) for h in hints]
    classes = [isinstance(h, type) and dataclasses.is_dataclass(h) for h in hints]

    def encode(value: Any, blobs: _Sink) -> Any:
        for check, (enc, _) in zip(checks, parts, strict=True):
            if check(value):
                return enc(value, blobs)
        raise AssertionError(f"{value!r} matches no member of {hints}")

    def decode(value: Any, blobs: _Blobs) -> Any:
        reasons = []
        for (_, dec), is_class in zip(parts, classes, strict=True):
            try:
                return dec(value, blobs)
            except Malformed as error:
                if is_class:
                    reasons.append(str(error))
        # A tagged object that failed inside its own class says why (not "wrong tag").
        own = [r for r in reasons if " has tag " not in r]
        if type(value) is dict and TAG_KEY in value and len(own) == 1:
            raise Malformed(own[0])
        raise Malformed(f"{type(value).__name__} matches no member of the union")

    return encode, decode


def _runtime_check(hint: Any) -> Callable[[Any], bool]:
    while isinstance(hint, NewType):
        hint = hint.__supertype__
    if hint is None or hint is type(None):
        return lambda v: v is None
    if hint is Any:
        return lambda v: True
    if hint is int:
        return lambda v: isinstance(v, int) and not isinstance(v, bool)
    if hint is float:
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    if get_origin(hint) is Literal:
        return lambda v: v in get_args(hint)
    origin = get_origin(hint) or hint
    if origin in (Mapping, MappingProxyType):
        return lambda v: isinstance(v, Mapping)
    assert isinstance(origin, type), f"the codec cannot tell union members {hint!r} apart"
    return lambda v: isinstance(v, origin)


def _sequence(item: tuple[Encoder, Decoder], kind: type) -> tuple[Encoder, Decoder]:
    enc, dec = item

    def encode(value: Any, blobs: _Sink) -> Any:
        assert isinstance(value, tuple | list | frozenset | set), f"expected {kind.__name__}"
        items = [enc(v, blobs) for v in value]
        if kind is frozenset:  # a set has no order: sort so equal values encode equally
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return items

    def decode(value: Any, blobs: _Blobs) -> Any:
        if type(value) is not list:
            raise Malformed(f"expected a list, got {type(value).__name__}")
        return kind(dec(v, blobs) for v in value)

    return encode, decode


def _fixed_tuple(items: list[tuple[Encoder, Decoder]]) -> tuple[Encoder, Decoder]:
    def encode(value: Any, blobs: _Sink) -> Any:
        assert isinstance(value, tuple) and len(value) == len(items)
        return [enc(v, blobs) for (enc, _), v in zip(items, value, strict=True)]

    def decode(value: Any, blobs: _Blobs) -> Any:
        if type(value) is not list or len(value) != len(items):
            raise Malformed(f"expected a list of {len(items)}")
        return tuple(dec(v, blobs) for (_, dec), v in zip(items, value, strict=True))

    return encode, decode


def _mapping(key: tuple[Encoder, Decoder], value: tuple[Encoder, Decoder]) \
        -> tuple[Encoder, Decoder]:
    """A Mapping as a list of [key, value] pairs (keys need not be strings), sorted by key
    so equal mappings encode equally; decoded as a read-only MappingProxyType."""
    key_enc, key_dec = key
    value_enc, value_dec = value

    def encode(mapping: Any, blobs: _Sink) -> Any:
        assert isinstance(mapping, Mapping)
        pairs = [[key_enc(k, blobs), value_enc(v, blobs)] for k, v in mapping.items()]
        pairs.sort(key=lambda p: json.dumps(p[0], sort_keys=True))
        return pairs

    def decode(pairs: Any, blobs: _Blobs) -> Any:
        if type(pairs) is not list:
            raise Malformed("expected a list of pairs")
        out: dict[Any, Any] = {}
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2:
                raise Malformed("expected a [key, value] pair")
            k = key_dec(pair[0], blobs)
            try:
                duplicate = k in out
            except TypeError:  # e.g. a tuple holding a mapping
                raise Malformed("unhashable key") from None
            if duplicate:
                raise Malformed("duplicate key")
            out[k] = value_dec(pair[1], blobs)
        return MappingProxyType(out)

    return encode, decode

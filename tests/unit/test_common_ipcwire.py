"""IPC frames: a message larger than a frame travels in parts, within one agreed limit."""

from __future__ import annotations

import json

import pytest

from hacluster.common import MAX_CIB_BYTES, MAX_IPC_MESSAGE_BYTES, Code, HaError, ipcwire
from hacluster.events import IPC_CODEC, CibText, CibWrite, IpcReply, IpcRequest


def frames_of(data: bytes) -> list[bytes]:
    out, at = [], 0
    while at < len(data):
        (length,) = ipcwire.FRAME_HEADER.unpack_from(data, at)
        assert length <= ipcwire.FRAME_MAX
        out.append(data[at + 4:at + 4 + length])
        at += 4 + length
    return out


def test_a_message_larger_than_a_frame_is_split_and_joined_again() -> None:
    xml = '<cib a="1">' + "x" * (40 * 1024 * 1024) + "</cib>"
    frames = frames_of(ipcwire.frame(IPC_CODEC.encode(IpcReply(1, True, CibText(xml)))))
    assert len(frames) == 3
    assembler = ipcwire.MessageAssembler()
    results = [assembler.add(f) for f in frames]
    assert results[:2] == [None, None]
    whole = results[2]
    assert isinstance(whole, bytes) and IPC_CODEC.decode(whole).body == CibText(xml)


def test_a_small_message_is_one_plain_frame() -> None:
    frames = frames_of(ipcwire.frame(b'{"id":1}'))
    assert frames == [b'{"id":1}']
    assert ipcwire.MessageAssembler().add(frames[0]) == b'{"id":1}'


def test_the_largest_cib_fits_in_a_message_both_ways() -> None:
    worst = '"' * MAX_CIB_BYTES  # every byte a quote: JSON escaping makes each one 2 bytes
    write = IpcRequest(1, CibWrite(json.dumps({"operation": "replace", "xml": worst}).encode()))
    assert len(IPC_CODEC.encode(write)) <= MAX_IPC_MESSAGE_BYTES  # the request's bytes: raw
    assert len(IPC_CODEC.encode(IpcReply(1, True, CibText(worst)))) <= MAX_IPC_MESSAGE_BYTES


def test_parts_beyond_the_message_limit_are_refused_with_a_code() -> None:
    assembler = ipcwire.MessageAssembler(max_bytes=10)
    assert assembler.add(ipcwire.PART_MARK + b"12345") is None
    refused = assembler.add(ipcwire.PART_MARK + b"678901")
    assert isinstance(refused, ipcwire.Refused) and refused.code is Code.IPC_MESSAGE_TOO_LARGE
    assert assembler.add(b'{"id":2}') == b'{"id":2}'  # it starts over


def test_a_message_inside_another_messages_parts_is_a_protocol_error() -> None:
    assembler = ipcwire.MessageAssembler()
    assert assembler.add(ipcwire.PART_MARK + b"{") is None
    refused = assembler.add(b'{"id":3}')
    assert isinstance(refused, ipcwire.Refused) and refused.code is Code.IPC_PROTOCOL


def test_encoding_a_message_over_the_limit_is_a_clear_error_not_an_assertion() -> None:
    with pytest.raises(HaError) as error:
        ipcwire.frame(bytes(MAX_IPC_MESSAGE_BYTES + 1))
    assert error.value.problems[0].code is Code.IPC_MESSAGE_TOO_LARGE

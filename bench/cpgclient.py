"""A tiny CPG client on the real Corosync's libcpg.so.4 (ctypes), for bench/ring.py.

Run inside a node's network namespace (libqb IPC is per namespace):
    python bench/cpgclient.py recv GROUP COUNT     prints "ready", then "done <ns>" when
                                                   COUNT messages were delivered
    python bench/cpgclient.py send GROUP COUNT SIZE   sends COUNT messages of SIZE bytes
                                                      (agreed order), prints "sent <ns>"
Times are time.monotonic_ns() at the event. Nothing here is part of hacluster.
"""

from __future__ import annotations

import ctypes
import sys
import time

CS_OK = 1
CS_ERR_TRY_AGAIN = 6
CPG_TYPE_AGREED = 1
CS_DISPATCH_ALL = 2
CS_DISPATCH_ONE_NONBLOCKING = 4


class CpgName(ctypes.Structure):
    _fields_ = [("length", ctypes.c_uint32), ("value", ctypes.c_char * 128)]


class IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


DELIVER_FN = ctypes.CFUNCTYPE(None, ctypes.c_uint64, ctypes.POINTER(CpgName), ctypes.c_uint32,
                              ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t)
CONFCHG_FN = ctypes.CFUNCTYPE(None, ctypes.c_uint64, ctypes.POINTER(CpgName), ctypes.c_void_p,
                              ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
                              ctypes.c_void_p, ctypes.c_size_t)


class Callbacks(ctypes.Structure):
    _fields_ = [("deliver", DELIVER_FN), ("confchg", CONFCHG_FN)]


def connect(group: str) -> tuple[ctypes.CDLL, ctypes.c_uint64, CpgName, list[int], Callbacks]:
    lib = ctypes.CDLL("libcpg.so.4")
    counter = [0]

    def on_deliver(handle, name, nodeid, pid, msg, size):  # type: ignore[no-untyped-def]
        counter[0] += 1

    def on_confchg(*_args):  # type: ignore[no-untyped-def]
        return None

    callbacks = Callbacks(DELIVER_FN(on_deliver), CONFCHG_FN(on_confchg))
    handle = ctypes.c_uint64()
    for _ in range(100):
        rc = lib.cpg_initialize(ctypes.byref(handle), ctypes.byref(callbacks))
        if rc == CS_OK:
            break
        time.sleep(0.05)
    else:
        raise SystemExit(f"cpg_initialize failed rc={rc}")
    name = CpgName(len(group), group.encode())
    rc = lib.cpg_join(handle, ctypes.byref(name))
    if rc != CS_OK:
        raise SystemExit(f"cpg_join failed rc={rc}")
    return lib, handle, name, counter, callbacks


def receive(group: str, count: int) -> None:
    lib, handle, _, counter, _keep = connect(group)
    print("ready", flush=True)
    while counter[0] < count:
        lib.cpg_dispatch(handle, CS_DISPATCH_ALL)
        if counter[0] < count:
            time.sleep(0.0005)
    print(f"done {time.monotonic_ns()}", flush=True)
    lib.cpg_finalize(handle)


def send(group: str, count: int, size: int) -> None:
    lib, handle, _, _, _keep = connect(group)
    payload = ctypes.create_string_buffer(b"x" * size, size)
    iov = IoVec(ctypes.cast(payload, ctypes.c_void_p), size)
    print(f"start {time.monotonic_ns()}", flush=True)
    sent = 0
    while sent < count:
        rc = lib.cpg_mcast_joined(handle, CPG_TYPE_AGREED, ctypes.byref(iov), 1)
        if rc == CS_OK:
            sent += 1
        elif rc == CS_ERR_TRY_AGAIN:
            lib.cpg_dispatch(handle, CS_DISPATCH_ONE_NONBLOCKING)
            time.sleep(0.0002)
        else:
            raise SystemExit(f"cpg_mcast_joined failed rc={rc}")
    print(f"sent {time.monotonic_ns()}", flush=True)
    time.sleep(0.2)  # leaving at once would make peers drop our tail as "left"
    lib.cpg_finalize(handle)


if __name__ == "__main__":
    mode, group_name, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "recv":
        receive(group_name, number)
    else:
        send(group_name, number, int(sys.argv[4]))

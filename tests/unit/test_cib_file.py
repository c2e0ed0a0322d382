"""CIB persistence: atomic writes, digest files, backups, recovery from torn or corrupt files."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest

from hacluster.cib import parse_cib
from hacluster.common import Code, HaError
from hacluster.drivers.cibfile import CIBStore, atomic_write

V = '<cib validate-with="pacemaker-3.7" admin_epoch="0" epoch="{n}" num_updates="0"/>'


def version(n: int) -> bytes:
    return V.format(n=n).encode()


def test_save_then_load_returns_the_newest_copy(tmp_path: Path) -> None:
    store = CIBStore(tmp_path)
    assert store.load() is None
    store.save(version(1))
    store.save(version(2))
    loaded = store.load()
    assert loaded is not None and loaded.data == version(2) and not loaded.recovered
    assert (tmp_path / "cib.xml.sig").read_text().strip()
    assert [n for n, _ in store.backups()] == [2, 1]


def test_torn_write_falls_back_to_the_newest_valid_backup(tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    store = CIBStore(tmp_path)
    store.save(version(1))
    store.save(version(2))
    data = (tmp_path / "cib.xml").read_bytes()
    (tmp_path / "cib.xml").write_bytes(data[: len(data) // 2])
    (tmp_path / "cib-2.raw").write_bytes(b"<cib")  # the newest backup is torn too
    with caplog.at_level(logging.ERROR):
        loaded = store.load()
    assert loaded is not None and loaded.recovered and loaded.data == version(1)
    assert any(r.levelno == logging.ERROR and "backup" in r.getMessage() for r in caplog.records)


def test_flipped_byte_is_detected_by_the_digest(tmp_path: Path) -> None:
    store = CIBStore(tmp_path)
    store.save(version(1))
    store.save(version(2))
    data = bytearray((tmp_path / "cib.xml").read_bytes())
    data[data.index(b"2")] = ord("7")  # still well-formed XML, but not what was written
    (tmp_path / "cib.xml").write_bytes(bytes(data))
    loaded = store.load()
    assert loaded is not None and loaded.recovered
    assert loaded.source.name == "cib-2.raw" and loaded.data == version(2)


def test_missing_sig_counts_as_corrupt(tmp_path: Path) -> None:
    store = CIBStore(tmp_path)
    store.save(version(1))
    (tmp_path / "cib.xml.sig").unlink()
    loaded = store.load()
    assert loaded is not None and loaded.recovered and loaded.data == version(1)


def test_no_valid_copy_at_all_is_an_error(tmp_path: Path) -> None:
    store = CIBStore(tmp_path)
    store.save(version(1))
    for path in tmp_path.glob("*.sig"):
        path.write_text("0" * 32)
    with pytest.raises(HaError) as info:
        store.load()
    assert info.value.problems[0].code is Code.CIB_NO_VALID_COPY


def test_backups_are_pruned_to_keep(tmp_path: Path) -> None:
    store = CIBStore(tmp_path, keep=3)
    for n in range(1, 8):
        store.save(version(n))
    assert [n for n, _ in store.backups()] == [7, 6, 5]
    assert len(list(tmp_path.glob("cib-*.raw.sig"))) == 3


def test_atomic_write_leaves_no_temp_files_and_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "f.xml"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.xml"]


def test_load_document_gives_the_replica_its_starting_cib(tmp_path: Path) -> None:
    from hacluster.drivers.cibfile import load_cib_bytes

    store = CIBStore(tmp_path)
    assert load_cib_bytes(store) is None
    store.save(version(4))
    data = load_cib_bytes(store)
    assert data is not None and parse_cib(data).version == (0, 4, 0)


def test_a_status_only_version_replaces_cib_xml_without_backup_or_fsync(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only num_updates moved: cib.xml is replaced (atomically) but neither backed up nor
    fsynced; a configuration change is durable again, with its backup."""
    store = CIBStore(tmp_path)
    status = '<cib admin_epoch="0" epoch="{e}" num_updates="{n}"><status/></cib>'
    store.save(status.format(e=1, n=0).encode())
    syncs: list[int] = []
    real_fsync = __import__("os").fsync
    monkeypatch.setattr("os.fsync", lambda fd: syncs.append(fd) or real_fsync(fd))
    store.save(status.format(e=1, n=1).encode())
    store.save(status.format(e=1, n=2).encode())
    assert syncs == [] and [n for n, _ in store.backups()] == [1]
    loaded = store.load()
    assert loaded is not None and b'num_updates="2"' in loaded.data
    store.save(status.format(e=2, n=0).encode())
    assert syncs and [n for n, _ in store.backups()] == [2, 1]
    # a new store (a restarted daemon) makes its first save durable
    fresh = CIBStore(tmp_path)
    fresh.save(status.format(e=2, n=1).encode())
    assert [n for n, _ in fresh.backups()] == [3, 2, 1]


def test_a_configuration_version_costs_one_fsync_per_file_and_one_for_the_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four files (backup, cib.xml and their .sig) and one directory fsync, not one per
    rename: each fsync is a journal commit the loop (or its saving thread) waits for."""
    store = CIBStore(tmp_path)
    store.save(version(1))
    syncs: list[bool] = []  # True: a directory's
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        syncs.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr("os.fsync", counting_fsync)
    store.save(version(2))
    assert sorted(syncs) == [False] * 4 + [True]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cib-1.raw", "cib-1.raw.sig", "cib-2.raw", "cib-2.raw.sig", "cib.xml", "cib.xml.sig"]
    loaded = store.load()
    assert loaded is not None and loaded.data == version(2) and not loaded.recovered


def test_the_writer_saves_configuration_versions_at_once_and_status_ones_in_its_thread(
        tmp_path: Path) -> None:
    from hacluster.drivers.cibfile import CIBWriter

    status = '<cib admin_epoch="0" epoch="{e}" num_updates="{n}"><status/></cib>'
    writer = CIBWriter(CIBStore(tmp_path))
    try:
        assert writer.save(status.format(e=1, n=0).encode())  # durable, written on return
        assert (tmp_path / "cib.xml").read_bytes() == status.format(e=1, n=0).encode()
        assert not writer.save(status.format(e=1, n=1).encode())  # the thread's
        assert writer.save(status.format(e=2, n=0).encode())  # supersedes a pending one
    finally:
        writer.close()
    assert (tmp_path / "cib.xml").read_bytes() == status.format(e=2, n=0).encode()
    writer = CIBWriter(CIBStore(tmp_path))
    writer.save(status.format(e=2, n=1).encode())
    assert not writer.save(status.format(e=2, n=2).encode())
    writer.close()  # writes what is pending
    loaded = CIBStore(tmp_path).load()
    assert loaded is not None and b'num_updates="2"' in loaded.data


def test_a_deferred_configuration_version_is_saved_durably_by_the_thread(
        tmp_path: Path) -> None:
    from hacluster.drivers.cibfile import CIBWriter

    status = '<cib admin_epoch="0" epoch="{e}" num_updates="{n}"><status/></cib>'
    writer = CIBWriter(CIBStore(tmp_path))
    try:
        assert writer.save(status.format(e=1, n=0).encode())  # not deferred: at once
        assert not writer.save(status.format(e=2, n=0).encode(), defer=True)
        deadline = time.monotonic() + 30
        while (tmp_path / "cib.xml").read_bytes() != status.format(e=2, n=0).encode():
            assert time.monotonic() < deadline, "the thread never saved it"
            time.sleep(0.01)
        assert [n for n, _ in CIBStore(tmp_path).backups()] == [2, 1], "with its backup"
    finally:
        writer.close()


def test_a_presaved_version_is_not_written_again_by_the_loops_save(tmp_path: Path) -> None:
    from hacluster.drivers.cibfile import CIBWriter

    version = '<cib admin_epoch="0" epoch="{e}" num_updates="0"><status/></cib>'
    writer = CIBWriter(CIBStore(tmp_path))
    try:
        first = version.format(e=1).encode()
        writer.presave(first)  # from the apply worker: durable at once, with its backup
        assert (tmp_path / "cib.xml").read_bytes() == first
        backups = sorted(p.name for p in tmp_path.glob("cib-*.raw"))
        assert backups == ["cib-1.raw"]
        assert writer.save(first)  # the loop's Persist of those very bytes: nothing to do
        assert sorted(p.name for p in tmp_path.glob("cib-*.raw")) == backups
        second = version.format(e=2).encode()
        assert writer.save(second)  # any other bytes are saved as before
        assert len(list(tmp_path.glob("cib-*.raw"))) == 2
        assert writer.save(bytes(first))  # equal bytes, another object: saved again
        assert len(list(tmp_path.glob("cib-*.raw"))) == 3
    finally:
        writer.close()

"""`corosync-keygen`: write the cluster's shared authentication key.

Follows corosync-keygen(8)'s flags and messages: -k FILE (default
/etc/corosync/authkey), -r/-m FILE random source (default: the OS), -s SIZE in bytes
(256 by default, 128..4096), -l accepted and unused, -h. Unlike Corosync 3.1.7 it
refuses to overwrite an existing key unless -f/--force. The key is created mode 0400.
Must never log or print key material.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from hacluster.api import config as api_config
from hacluster.common import Code, ExitStatus, HaError

_DEFAULT_RANDOM = "/dev/urandom"


class _Parser(argparse.ArgumentParser):
    """Bad options exit 1 with corosync-keygen's own closing line, not argparse's 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: {message}\nError parsing command line options.\n")
        raise SystemExit(int(ExitStatus.ERROR))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="corosync-keygen",
        description="Corosync Cluster Engine Authentication key generator.")
    parser.add_argument("-k", "--key-file", default=api_config.DEFAULT_AUTHKEY_PATH,
                        metavar="FILENAME", help="write the key here "
                        f"(default {api_config.DEFAULT_AUTHKEY_PATH})")
    parser.add_argument("-r", "-m", "--random-file", default=_DEFAULT_RANDOM, metavar="FILE",
                        help="random number source (default: the OS, /dev/urandom)")
    parser.add_argument("-s", "--size", type=int, default=api_config.AUTHKEY_SIZE_DEFAULT,
                        help=f"key length in bytes (default {api_config.AUTHKEY_SIZE_DEFAULT},"
                        f" {api_config.AUTHKEY_SIZE_MIN}..{api_config.AUTHKEY_SIZE_MAX})")
    parser.add_argument("-l", "--less-secure", action="store_true",
                        help="not used, kept for compatibility")
    parser.add_argument("-f", "--force", action="store_true",
                        help="overwrite an existing key file")
    return parser


def random_bytes(source: str, size: int) -> bytes:
    if source == _DEFAULT_RANDOM:
        return os.urandom(size)
    try:
        with open(source, "rb") as handle:
            data = handle.read(size)
    except OSError as error:
        raise HaError.single(Code.FILE_READ_ERROR,
                             f"Could not open {source}: {error.strerror}") from None
    if len(data) != size:
        raise HaError.single(Code.FILE_READ_ERROR,
                             f"Could not read {size} bytes from {source}")
    return data


def write_key(path: str, key: bytes, force: bool) -> None:
    """Create `path` with mode 0400; with `force`, replace it atomically."""
    if os.path.lexists(path) and not force:
        raise HaError.single(Code.KEY_EXISTS,
                             f"Key file {path} already exists; use --force to overwrite it",
                             path=path)
    target = f"{path}.tmp-{os.getpid()}" if force else path
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        try:
            os.fchmod(fd, 0o400)
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        if force:
            os.replace(target, path)
    except OSError as error:
        if force and os.path.lexists(target):
            os.unlink(target)
        raise HaError.single(Code.FILE_WRITE_ERROR,
                             f"Could not create {path}: {error.strerror}", path=path) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        problems = api_config.authkey_size_problems(args.size)
        if problems:
            raise HaError(problems)
        print("Corosync Cluster Engine Authentication key generator.")
        print(f"Gathering {args.size * 8} bits for key from {args.random_file}.")
        key = random_bytes(args.random_file, args.size)
        write_key(args.key_file, key, args.force)
        print(f"Writing corosync key to {args.key_file}.")
    except HaError as error:
        for problem in error.problems:
            print(f"corosync-keygen: {problem.message}", file=sys.stderr)
        return int(error.exit_status)
    return int(ExitStatus.OK)


if __name__ == "__main__":
    sys.exit(main())

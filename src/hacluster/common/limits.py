"""Size limits that every layer must agree on, in one place.

Owns the largest CIB a node stores, replicates and serves (MAX_CIB_BYTES) and what follows
from it for the local IPC: a message that carries a CIB (a reply to CibQuery, a CibWrite
whose XML is escaped in JSON once: `"` grows to at most 2 bytes) always fits in
MAX_IPC_MESSAGE_BYTES, split into frames of at most MAX_IPC_FRAME_BYTES. The tools check an
input file's size against MAX_CIB_BYTES before reading it, so a refused input costs no memory.
Must never hold anything but constants.
"""

from __future__ import annotations

MIB = 1024 * 1024
# A 10k-resource, 3-node CIB with status is ~21 MiB: three times that is the ceiling.
MAX_CIB_BYTES = 64 * MIB
MAX_IPC_FRAME_BYTES = 16 * MIB
MAX_IPC_MESSAGE_BYTES = 4 * MAX_CIB_BYTES + MIB

"""The library API the CLIs call: one function per command, text and host facts in,
values or one HaError out. Submodules are imported as modules (`from hacluster.api
import config`). Must never print; only api/env.py (and the daemon client) do I/O.
"""

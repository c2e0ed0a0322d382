"""The only layer with real I/O: the daemon, UDP, IPC, agent processes, the demo.

Importing this package starts nothing and imports no submodule (asyncio stays out of
tools that do not need it). Must never hold protocol or decision logic.
"""

"""The deterministic simulator: N real Nodes on a virtual clock over a misbehaving
network, with invariants checked after every event (TigerBeetle VOPR style).

Public API: `World`, `Network`, `NetworkOptions`, `Checker`, `run_seed`, `SeedResult`.
Must never use real time, real sockets or unseeded randomness.
"""

from hacluster.sim.checks import Checker
from hacluster.sim.network import Network, NetworkOptions
from hacluster.sim.swarm import SeedResult, plan_for, run_seed
from hacluster.sim.world import World

__all__ = ["Checker", "Network", "NetworkOptions", "SeedResult", "World", "plan_for", "run_seed"]

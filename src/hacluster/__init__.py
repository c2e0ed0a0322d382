"""hacluster: a high-availability cluster stack (Totem membership, CIB, scheduler, tools).

Importing the package starts nothing and touches nothing; it only names the version.
"""

__version__ = "0.1.0"

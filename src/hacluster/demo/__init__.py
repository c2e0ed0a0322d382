"""The EayunStack demo (`make demo`, `python -m hacluster.demo`): an application of the package.

Owns a tour of a live 3-node cluster on 127.0.0.1-3 and of the EayunStack CIB. It drives
`haclusterd` processes and our command-line tools as subprocesses and talks to the daemons
through `hacluster.api`; it never imports `hacluster.drivers` (DESIGN.md §3). Everything it
reads ships inside the package (`hacluster/demo/data/`), so it runs from a fresh clone.
"""

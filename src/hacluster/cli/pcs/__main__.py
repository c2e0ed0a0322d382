"""`python -m hacluster.cli.pcs`."""

import sys

from hacluster.cli.pcs import main

sys.exit(main())

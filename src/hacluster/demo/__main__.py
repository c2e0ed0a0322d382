"""`python -m hacluster.demo`: run the demo (see hacluster.demo.app)."""

import sys

from hacluster.demo.app import main

sys.exit(main())

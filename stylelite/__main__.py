"""`python -m stylelite ...` is the `stylelite` console command."""

import sys

from stylelite.cli.main import main

sys.exit(main())

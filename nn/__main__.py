"""`python -m nn` runs the demo, the same as `python -m nn.demo` or the `chaingrad` command."""

import sys

from nn.demo import main

sys.exit(main())

"""`python -m architect_k` runs the command-line interface."""

from architect_k.cli import main

raise SystemExit(main())

"""`python -m tui` runs the livemig command line."""

from tui.cli import main

raise SystemExit(main())

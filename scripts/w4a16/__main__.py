"""Allow `python -m w4a16 ...`."""

from w4a16.cli import main

raise SystemExit(main())

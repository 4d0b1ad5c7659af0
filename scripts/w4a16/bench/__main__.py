"""Allow `python -m w4a16.bench ...` (the same as `w4a16 bench ...`)."""

from w4a16.bench.command import main

raise SystemExit(main())

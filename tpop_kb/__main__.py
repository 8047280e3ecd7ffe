"""``python -m tpop_kb``: the command-line interface (see :mod:`tpop_kb.cli`)."""

from .cli import main

raise SystemExit(main())

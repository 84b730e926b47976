"""The ``capmarket`` command.

- ``capmarket calc CASE_DIR --out OUT_DIR`` runs the pure calculation engine; it needs no database and does not
  load Django at all, so anyone can run it on a case (shadow settlement).
- Every other sub-command is a Django management command of the project (``demo-data``, ``import``,
  ``import-case``, ``export-case`` …) or of Django itself (``migrate``, ``runserver`` …). Hyphens in a command
  name map to underscores in the module that implements it (``demo-data`` → ``demo_data``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "calc":
        from capmarket.calc.cli import main as calc_main

        return calc_main(args[1:])
    if args and args[0] == "clear-auction":
        from capmarket.calc.auction_cli import main as clear_auction_main

        return clear_auction_main(args[1:])

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
    from django.core.management import execute_from_command_line

    if args and "-" in args[0] and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["capmarket", *args])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

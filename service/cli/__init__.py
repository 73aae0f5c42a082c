"""The `roster` command line: serve, migrate, seed, tokens, import, export, solve, check.

One module per command group; importing them registers their commands on ``app``, in the order ``--help`` lists.
"""

from service.cli import database, planning, privacy, serve, spreadsheets, tokens  # noqa: F401  (registers the commands)
from service.cli.common import app

__all__ = ["app"]

"""The command line (typer). Parses, calls, maps errors to exit codes; no business logic here.

Exit codes (contract): 0 success; 1 an error (bad input, a tenant or change that failed, a
stale change, a verify that failed); 2 only for `plan --detailed-exitcode` with changes pending.
"""

from remediator.cli import merge, run, tools  # noqa: F401  (register the commands on `app`)
from remediator.cli.app import app, main

__all__ = ["app", "main"]

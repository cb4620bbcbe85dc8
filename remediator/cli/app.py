"""The typer application and the error boundary every command shares."""

from __future__ import annotations

import logging
import sys
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from remediator.errors import RemediatorError


class RemediatorGroup(TyperGroup):
    """Turns user mistakes into one line on stderr and exit 1 (click would use 2 for usage errors)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except typer.Exit as exc:
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        except TyperException as exc:  # usage errors: unknown option, missing argument, bad value
            typer.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(1)
        except RemediatorError as exc:
            typer.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except ValueError as exc:
            if not _digit_limit(exc):
                raise
            # Python refuses to read integers of more than 4,300 digits (int_max_str_digits); no valid
            # input of remediator has one, so any file or answer holding one is refused whole.
            typer.echo("error: an input holds an integer of more than 4,300 digits, which no valid value has",
                       err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _digit_limit(exc: ValueError) -> bool:
    return "integer string conversion" in str(exc) or "int_max_str_digits" in str(exc)


app = typer.Typer(
    cls=RemediatorGroup,
    name="remediator",
    help="Declarative remediation for Okta tenants: playbooks in git, plans, idempotent applies, evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold credentials
)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()

"""Every error remediator raises on purpose, drawn once.

    RemediatorError                 a user-facing failure; str() is one line naming the place
    ├── InputError                  bad playbook, inventory, variable, date, plan file (exit 1)
    │   ├── PlaybookError           file:line: message
    │   └── InventoryError
    ├── CredentialError             a tenant's credential is missing or unusable (never shows it)
    ├── GuardrailError              a run stopped before its first write
    ├── VerifyError                 journal or evidence verification failed
    └── OktaError                   anything that went wrong talking to one tenant
        ├── OktaApiError            Okta answered with an error body (errorCode, errorId, status, request id)
        │   └── OktaResponseError   a status or body that is not what the operation returns (a 3xx, an HTML
        │                           sign-in page, an empty or wrong-shaped 200): never read as "no data"
        └── OktaTransportError      no usable answer: refused, reset, timed out, retries exhausted

The CLI maps RemediatorError to exit code 1 and prints `str(error)`; anything else is a bug.
"""

from __future__ import annotations

from typing import Any


class RemediatorError(Exception):
    """Base of every expected failure; the message is meant for a responder, not a developer."""


class InputError(RemediatorError):
    """Something the user wrote is wrong; `where` is a file, file:line, tenant or option name."""

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


class PlaybookError(InputError):
    """A playbook (or a plan file) cannot be loaded, rendered or validated."""


class InventoryError(InputError):
    """An inventory cannot be loaded or names an unusable tenant."""


class CredentialError(RemediatorError):
    """A tenant's credential is missing or unusable. The message names the tenant, never the secret."""


class GuardrailError(RemediatorError):
    """A safety limit stopped a tenant's apply before its first write."""


class VerifyError(RemediatorError):
    """A journal or an evidence directory does not verify."""


class OktaError(RemediatorError):
    """A failure talking to one tenant."""

    def __init__(self, message: str, *, tenant: str | None = None) -> None:
        self.tenant = tenant
        super().__init__(f"{tenant}: {message}" if tenant else message)


class OktaApiError(OktaError):
    """Okta answered with an error: its errorCode, errorSummary, errorId, HTTP status and request id."""

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        error_code: str | None = None,
        error_summary: str | None = None,
        error_id: str | None = None,
        request_id: str | None = None,
        tenant: str | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.error_code = error_code
        self.error_summary = error_summary
        self.error_id = error_id
        self.request_id = request_id
        detail = f"{error_code}: {error_summary}" if error_code else (error_summary or "no error body")
        super().__init__(
            f"{method} {path} -> HTTP {status} {detail} (errorId {error_id}, request id {request_id})",
            tenant=tenant,
        )


class OktaTransportError(OktaError):
    """No usable answer from the tenant after the allowed retries."""


class OktaResponseError(OktaApiError):
    """The answer is not what the operation returns: an undocumented status (a 3xx), an empty, non-JSON or
    wrong-shaped success body, an HTML page from a proxy or a sign-in screen. `problem` says which."""

    def __init__(self, problem: str, **fields: Any) -> None:
        self.problem = problem
        super().__init__(**fields)
        tenant = fields.get("tenant")
        message = f"{fields['method']} {fields['path']} -> HTTP {fields['status']}: {problem}"
        if fields.get("request_id"):
            message += f" (request id {fields['request_id']})"
        self.args = (f"{tenant}: {message}" if tenant else message,)

    def __str__(self) -> str:
        return str(self.args[0])

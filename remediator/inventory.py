"""Tenants: the inventory, `--limit`, the okta SDK's own conventions, and credentials.

A TenantSpec never holds a secret: it names where the secret is (an environment variable, a key
file, an okta.yaml) and `resolve_auth` reads it only when a client is about to be built. Errors
name the tenant and the place, never the value.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from remediator.errors import CredentialError, InputError, InventoryError
from remediator.okta import auth as okta_auth
from remediator.source import read_source
from remediator.validation import first_error, secret_key_path

TENANT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

INVENTORY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["tenants"],
    "additionalProperties": False,
    "properties": {
        "tenants": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"type": "string", "pattern": TENANT_NAME},
            "additionalProperties": {"$ref": "#/$defs/tenant"},
        },
    },
    "$defs": {
        "tenant": {
            "type": "object",
            "required": ["org_url"],
            "additionalProperties": False,
            "properties": {
                "org_url": {"type": "string", "minLength": 1, "description": "https://<org>.okta.com"},
                "token_env": {"type": "string", "pattern": ENV_NAME.pattern,
                              "description": "the environment variable holding an SSWS API token"},
                "client_id": {"type": "string", "minLength": 1},
                "private_key_file": {"type": "string", "minLength": 1},
                "scopes": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
                "tags": {"type": "array", "items": {"type": "string", "pattern": TENANT_NAME}},
                "vars": {"type": "object", "propertyNames": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"}},
            },
            "oneOf": [{"required": ["token_env"]}, {"required": ["client_id", "private_key_file"]}],
        },
    },
}


# The inventory's own keys, each tenant only required to be a mapping: tenants are checked one by
# one so that messages say "tenant acme: ..." (and names are checked in Python for a clearer message).
_OUTLINE: dict[str, Any] = {**INVENTORY_SCHEMA, "properties": {"tenants": {
    **INVENTORY_SCHEMA["properties"]["tenants"], "propertyNames": {},
    "additionalProperties": {"type": "object", "description": "a mapping of the tenant's settings"}}}}


class TenantVars(dict[str, Any]):
    """A tenant's `vars`, with where each was written (`places`), for errors that name the line."""

    places: dict[str, str]

    def __init__(self, values: Mapping[str, Any] | None = None, places: Mapping[str, str] | None = None) -> None:
        super().__init__(values or {})
        self.places = dict(places or {})


@dataclass(frozen=True)
class TenantSpec:
    """One tenant: where it is and where its credential is (never the credential itself)."""

    name: str
    org_url: str
    tags: tuple[str, ...] = ()
    vars: dict[str, Any] = field(default_factory=dict, hash=False)
    token_env: str | None = None
    client_id: str | None = None
    private_key_file: Path | None = None
    scopes: tuple[str, ...] = ()
    where: str = ""  # "inventory.yml:12", or where the okta SDK configuration came from
    private_key_env: str | None = None  # OKTA_CLIENT_PRIVATEKEY (SDK conventions only)
    config_file: Path | None = None  # an okta.yaml holding the token or the private key itself


# --- the inventory ----------------------------------------------------------------------------


def load_inventory(path: str | Path) -> list[TenantSpec]:
    """Read an inventory (contract.md); raise InventoryError naming file:line and the tenant."""
    located, _ = read_source(path, InventoryError)
    data = located.data
    if not isinstance(data, dict):
        raise InventoryError("an inventory is a mapping with `tenants:`", where=located.where())
    _refuse_secrets(data, located)
    found = first_error(data, _OUTLINE, located)
    if found is not None:
        raise InventoryError(found[1], where=found[0])
    for name, raw in data["tenants"].items():
        if not isinstance(name, str) or not re.match(TENANT_NAME, name):
            raise InventoryError(f"tenant name {str(name)!r} must be text of letters, digits, '.', '_' or '-'",
                                 where=located.where(("tenants", name)))
        _check_credential_keys(str(name), raw, located)
        found = first_error(raw, INVENTORY_SCHEMA["$defs"]["tenant"], located, ("tenants", name))
        if found is not None:
            raise InventoryError(f"tenant {name}: {found[1]}", where=found[0])
    base = Path(path).parent
    tenants = [_tenant(str(name), raw, located, base) for name, raw in data["tenants"].items()]
    seen: dict[str, str] = {}
    for tenant in tenants:
        # Two names for one org would plan and apply the same changes twice, concurrently.
        key = tenant.org_url.lower()
        if key in seen:
            raise InventoryError(f"tenant {tenant.name}: org_url {tenant.org_url} is already tenant {seen[key]}'s",
                                 where=located.where(("tenants", tenant.name, "org_url")))
        seen[key] = tenant.name
    return tenants


def _refuse_secrets(data: Any, located: Any) -> None:
    path = secret_key_path(data)
    if path is not None:
        tenant = f"tenant {path[1]}: " if len(path) >= 2 and path[0] == "tenants" else ""
        raise InventoryError(
            f"{tenant}{str(path[-1])!r} holds a secret, and secrets are never written in the inventory "
            "(name an environment variable with token_env, or a key file with private_key_file)",
            where=located.where(path),
        )


def _check_credential_keys(name: str, raw: dict[str, Any], located: Any) -> None:
    def fail(key: str | None, message: str) -> InventoryError:
        path = ("tenants", name, key) if key else ("tenants", name)
        return InventoryError(f"tenant {name}: {message}", where=located.where(path))

    if "token_env" in raw and "client_id" in raw:
        raise fail("client_id", "token_env and client_id exclude each other: give one credential")
    if "token_env" not in raw and "client_id" not in raw:
        raise fail(None, "no credential: give token_env (an SSWS token's variable) or client_id and private_key_file")
    token_env = raw.get("token_env")
    if "token_env" in raw and not (isinstance(token_env, str) and ENV_NAME.match(token_env)):
        # Never echo it: people paste the token itself here.
        raise fail("token_env", "token_env must be the NAME of an environment variable (letters, digits, _)")
    if "client_id" in raw and "private_key_file" not in raw:
        raise fail("client_id", "client_id needs private_key_file (the service app's private key, PEM)")
    if "private_key_file" in raw and "client_id" not in raw:
        raise fail("private_key_file", "private_key_file needs client_id")


def _tenant(name: str, raw: dict[str, Any], located: Any, base: Path) -> TenantSpec:
    where = located.where(("tenants", name))
    org_url = _org_url(raw["org_url"], lambda msg: InventoryError(
        f"tenant {name}: {msg}", where=located.where(("tenants", name, "org_url"))))
    key_file = raw.get("private_key_file")
    variables = raw.get("vars") or {}
    places = {k: located.where(("tenants", name, "vars", k)) for k in variables}
    return TenantSpec(
        name=name,
        org_url=org_url,
        tags=tuple(raw.get("tags") or ()),
        vars=TenantVars(variables, places),
        token_env=raw.get("token_env"),
        client_id=raw.get("client_id"),
        private_key_file=(base / key_file) if key_file else None,
        scopes=tuple(raw.get("scopes") or ()),
        where=where,
    )


def _org_url(value: str, error: Any) -> str:
    """https://host (no path); http only for loopback. Returned without a trailing slash."""
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise error(f"org_url is not a URL: {value!r}") from None
    if parts.scheme not in ("https", "http") or not host:
        raise error(f"org_url must look like https://acme.okta.com, got {value!r}")
    if parts.scheme == "http" and not is_loopback(host):
        raise error(f"org_url must use https (http only for loopback addresses), got {value!r}")
    if parts.username or parts.password:
        raise error("org_url must not hold a user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise error(f"org_url is the org's address alone, without a path, got {value!r}")
    if "-admin." in host:
        raise error(f"org_url is the org URL, not the Admin Console's (drop '-admin'): {value!r}")
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}{f':{port}' if port else ''}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- --limit ----------------------------------------------------------------------------------


def select(tenants: list[TenantSpec], limit: str | None) -> list[TenantSpec]:
    """`--limit`: comma-separated names, tags (`tag:prod` or a bare tag), globs (`acme-*`), `!` excludes."""
    if limit is None:
        return list(tenants)
    patterns = [p.strip() for p in limit.split(",") if p.strip()]
    if not patterns:
        raise InputError("names no tenant", where="--limit")
    include: set[str] = set()
    exclude: set[str] = set()
    for pattern in patterns:
        negate = pattern.startswith("!")
        bare = pattern[1:] if negate else pattern
        matched = {t.name for t in tenants if _matches(t, bare)}
        if not matched:
            raise InputError(f"{pattern!r} matches no tenant (tenants: {_names(tenants)})", where="--limit")
        (exclude if negate else include).update(matched)
    if not include:
        include = {t.name for t in tenants}
    chosen = [t for t in tenants if t.name in include and t.name not in exclude]
    if not chosen:
        raise InputError(f"{limit!r} leaves no tenant", where="--limit")
    return chosen


def _matches(tenant: TenantSpec, pattern: str) -> bool:
    if pattern.startswith("tag:"):
        return any(fnmatch.fnmatchcase(tag, pattern[4:]) for tag in tenant.tags)
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(tenant.name, pattern)
    return tenant.name == pattern or pattern in tenant.tags


def _names(tenants: list[TenantSpec]) -> str:
    names = [t.name for t in tenants]
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


# --- the okta SDK's conventions ------------------------------------------------------------------

_ENV_KEYS = {  # okta SDK: OKTA_ + the configuration path in capitals
    "orgUrl": "OKTA_CLIENT_ORGURL",
    "token": "OKTA_CLIENT_TOKEN",
    "authorizationMode": "OKTA_CLIENT_AUTHORIZATIONMODE",
    "clientId": "OKTA_CLIENT_CLIENTID",
    "scopes": "OKTA_CLIENT_SCOPES",
    "privateKey": "OKTA_CLIENT_PRIVATEKEY",
}


def default_tenant(
    *, environ: Mapping[str, str] | None = None, home: Path | None = None, cwd: Path | None = None
) -> TenantSpec:
    """The single tenant of the okta SDK's configuration: env, then ~/.okta/okta.yaml, then ./okta.yaml.

    As in the SDK (3.4.6), a value in a YAML file wins over the environment.
    """
    env = os.environ if environ is None else environ
    settings: dict[str, tuple[Any, str, Path | None]] = {}  # key -> (value, where, yaml file)
    for key, var in _ENV_KEYS.items():
        if env.get(var) is not None:
            settings[key] = (env[var], var, None)
    for yaml_path in ((home or Path.home()) / ".okta" / "okta.yaml", (cwd or Path.cwd()) / "okta.yaml"):
        if yaml_path.is_file():
            for key, (value, where) in _okta_yaml(yaml_path).items():
                settings[key] = (value, where, yaml_path)
    if "orgUrl" not in settings or not settings["orgUrl"][0]:
        raise InventoryError(
            "no tenant given: use -i INVENTORY, or set OKTA_CLIENT_ORGURL and OKTA_CLIENT_TOKEN, or write okta.yaml",
            where="okta configuration",
        )
    url, url_where, _ = settings["orgUrl"]
    org_url = _org_url(str(url), lambda msg: InventoryError(msg, where=url_where))
    name = _name_from(org_url)
    mode = str(settings.get("authorizationMode", ("SSWS", "", None))[0] or "SSWS")
    if mode.lower() == "privatekey":
        return _private_key_tenant(name, org_url, url_where, settings)
    token = settings.get("token")
    if token is not None and token[2] is not None:
        return TenantSpec(name=name, org_url=org_url, where=url_where, config_file=token[2])
    return TenantSpec(name=name, org_url=org_url, where=url_where, token_env=_ENV_KEYS["token"])


def _private_key_tenant(
    name: str, org_url: str, where: str, settings: Mapping[str, tuple[Any, str, Path | None]]
) -> TenantSpec:
    client_id = settings.get("clientId", ("", where, None))[0]
    if not client_id:
        raise InventoryError("authorizationMode PrivateKey needs clientId", where=where)
    scopes_raw = settings.get("scopes", ([], where, None))[0]
    scopes = scopes_raw.split(",") if isinstance(scopes_raw, str) else list(scopes_raw or [])
    key, _, key_yaml = settings.get("privateKey", (None, where, None))
    spec = TenantSpec(name=name, org_url=org_url, where=where, client_id=str(client_id),
                      scopes=tuple(s.strip() for s in scopes if str(s).strip()))
    if key_yaml is None:
        return replace(spec, private_key_env=_ENV_KEYS["privateKey"])
    text = str(key or "")
    if text and not text.lstrip().startswith(("-----BEGIN", "{")):
        return replace(spec, private_key_file=Path(text).expanduser())  # the SDK takes a path too
    return replace(spec, config_file=key_yaml)


def _okta_yaml(path: Path) -> dict[str, tuple[Any, str]]:
    """okta.yaml's `okta.client` settings with where each was written."""
    located, _ = read_source(path, InventoryError)
    data = located.data if located.data is not None else {}
    okta = data.get("okta") or {} if isinstance(data, dict) else None
    client = okta.get("client") or {} if isinstance(okta, dict) else None
    if not isinstance(client, dict):
        raise InventoryError("okta.yaml holds `okta: {client: {orgUrl: ..., token: ...}}`", where=located.where())
    return {k: (v, located.where(("okta", "client", k))) for k, v in client.items() if k in _ENV_KEYS}


def _name_from(org_url: str) -> str:
    host = urlsplit(org_url)
    hostname = host.hostname or "tenant"
    hostname = "localhost" if hostname == "::1" else hostname
    if is_loopback(hostname) or re.match(r"^[\d.]+$", hostname):
        base = f"{hostname}-{host.port}" if host.port else hostname
    elif re.search(r"\.(okta|oktapreview|okta-emea|okta-gov|okta-mil|trexcloud)\.com$", hostname):
        base = hostname.split(".")[0]  # acme.okta.com -> acme
    else:
        base = hostname  # a custom domain: login.acme.com says more than "login"
    return re.sub(r"[^A-Za-z0-9._-]", "-", base).strip("-.") or "tenant"


# --- credentials -----------------------------------------------------------------------------


def resolve_auth(
    spec: TenantSpec, *, scopes: Iterable[str] | None = None, environ: Mapping[str, str] | None = None
) -> Any:
    """The tenant's `remediator.okta.auth.Auth`; raise CredentialError naming the tenant, never a value.

    `scopes` is used for a service app whose inventory entry lists none (the kinds' own scopes).
    """
    env = os.environ if environ is None else environ
    if spec.client_id:
        granted = spec.scopes or tuple(scopes or ())
        if not granted:
            raise CredentialError(f"tenant {spec.name}: an OAuth 2.0 service app needs `scopes`")
        return okta_auth.PrivateKeyAuth(
            spec.client_id, _private_key(spec, env), list(granted), key_path=spec.private_key_file, tenant=spec.name
        )
    return okta_auth.SswsAuth(_token(spec, env), tenant=spec.name)


def _token(spec: TenantSpec, env: Mapping[str, str]) -> str:
    token: str | None
    if spec.config_file is not None:
        token = _from_okta_yaml(spec, "token")
    elif spec.token_env:
        token = env.get(spec.token_env)
        if token is None:
            raise CredentialError(f"tenant {spec.name}: environment variable {spec.token_env} is not set")
    else:
        raise CredentialError(f"tenant {spec.name}: no credential (token_env or client_id)")
    if not token.strip():
        raise CredentialError(f"tenant {spec.name}: the API token ({_token_place(spec)}) is empty")
    return token.strip()


def _token_place(spec: TenantSpec) -> str:
    return f"environment variable {spec.token_env}" if spec.token_env else f"{spec.config_file}"


def _from_okta_yaml(spec: TenantSpec, key: str) -> str:
    try:
        settings = _okta_yaml(spec.config_file) if spec.config_file else {}
    except InventoryError as exc:
        raise CredentialError(f"tenant {spec.name}: {exc}") from None
    value = settings.get(key, (None, ""))[0]
    if not isinstance(value, str) or not value:
        raise CredentialError(f"tenant {spec.name}: {spec.config_file} has no okta.client.{key}")
    return value


def _private_key(spec: TenantSpec, env: Mapping[str, str]) -> str:
    if spec.private_key_file is not None:
        place = f"private key file {spec.private_key_file}"
        try:
            text = spec.private_key_file.read_text()
        except FileNotFoundError:
            raise CredentialError(f"tenant {spec.name}: {place} not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not text"
            raise CredentialError(f"tenant {spec.name}: {place} cannot be read: {reason}") from None
    elif spec.private_key_env:
        place = f"environment variable {spec.private_key_env}"
        text = env.get(spec.private_key_env) or ""
        if not text:
            raise CredentialError(f"tenant {spec.name}: {place} is not set")
    elif spec.config_file is not None:
        place = f"okta.client.privateKey of {spec.config_file}"
        text = _from_okta_yaml(spec, "privateKey")
    else:
        raise CredentialError(f"tenant {spec.name}: no private key configured")
    return _checked_pem(text, spec.name, place)


def _checked_pem(text: str, tenant: str, place: str) -> str:
    """The key as PEM text, checked now so that a bad key fails before any request, without showing it."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    pem = "\n".join(line.strip() for line in text.strip().splitlines()) + "\n"
    try:
        load_pem_private_key(pem.encode(), password=None)
    except TypeError:
        raise CredentialError(f"tenant {tenant}: {place} is encrypted; give an unencrypted PEM key") from None
    except ValueError:
        raise CredentialError(f"tenant {tenant}: {place} is not a PEM private key") from None
    return pem

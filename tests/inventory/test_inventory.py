"""The inventory, --limit, the okta SDK's conventions and credential resolution. No secret is ever shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from remediator.errors import CredentialError, InputError, InventoryError
from remediator.inventory import TenantSpec, default_tenant, load_inventory, resolve_auth, select

GOOD = """\
tenants:
  acme:
    org_url: https://acme.okta.com/
    token_env: ACME_OKTA_TOKEN
    tags: [prod, eu]
    vars: {break_glass: [bg-admin@acme.com]}
  acme-dev:
    org_url: https://acme-dev.oktapreview.com
    client_id: 0oa1service
    private_key_file: keys/acme-dev.pem
    scopes: [okta.users.manage, okta.logs.read]
    tags: [dev]
  local:
    org_url: http://127.0.0.1:8080
    token_env: LOCAL_TOKEN
"""
SECRET = "00abcDEFghiJKLmnoPQRstuVWXyz0123456789-_x"


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.yml"
    path.write_text(GOOD)
    return path


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inv.yml"
    path.write_text(text)
    return path


def _pem(tmp_path: Path, name: str = "key.pem", password: bytes | None = None) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    return path


def test_loads_tenants(inventory):
    acme, dev, local = load_inventory(inventory)
    assert acme.name == "acme" and acme.org_url == "https://acme.okta.com"
    assert acme.token_env == "ACME_OKTA_TOKEN" and acme.client_id is None
    assert acme.tags == ("prod", "eu")
    assert acme.vars == {"break_glass": ["bg-admin@acme.com"]}
    assert acme.vars.places == {"break_glass": f"{inventory}:6"}
    assert acme.where == f"{inventory}:2"
    assert dev.client_id == "0oa1service" and dev.scopes == ("okta.users.manage", "okta.logs.read")
    assert dev.private_key_file == inventory.parent / "keys" / "acme-dev.pem"
    assert local.org_url == "http://127.0.0.1:8080"
    assert hash(acme)  # usable as a key


TENANT = "tenants:\n  acme:\n"


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("    org_url: http://acme.okta.com\n    token_env: T\n", 3, "tenant acme: org_url must use https"),
        ("    org_url: https://acme-admin.okta.com\n    token_env: T\n", 3, "not the Admin Console's"),
        ("    org_url: https://acme.okta.com/api/v1\n    token_env: T\n", 3, "without a path"),
        ("    org_url: acme.okta.com\n    token_env: T\n", 3, "must look like https://acme.okta.com"),
        ("    org_url: https://acme.okta.com\n", 2, "tenant acme: no credential"),
        ("    org_url: https://acme.okta.com\n    token_env: T\n    client_id: x\n    private_key_file: k\n", 5,
         "token_env and client_id exclude each other"),
        ("    org_url: https://acme.okta.com\n    client_id: x\n", 4, "client_id needs private_key_file"),
        ("    org_url: https://acme.okta.com\n    token_env: T\n    tags: prod\n", 5,
         "tenant acme: 'tags' must be a list"),
        ("    org_url: https://acme.okta.com\n    token_env: T\n    colour: red\n", 5, "unknown key \"colour\""),
        ("    token_env: T\n", 2, "tenant acme: missing \"org_url\""),
        ("    org_url: https://acme.okta.com\n    token_env: T\n    vars: {2x: 1}\n", 5, "key \"2x\" in 'vars'"),
    ],
)
def test_tenant_errors_name_file_line_and_tenant(tmp_path, body, line, fragment):
    path = _write(tmp_path, TENANT + body)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("[a]\n", 1, "an inventory is a mapping"),
        ("hosts: {}\n", 1, "unknown key \"hosts\" (allowed: tenants)"),
        ("{}\n", 1, "missing \"tenants\""),
        ("tenants: {}\n", 1, "'tenants' must not be empty"),  # line of the key
        ("tenants:\n  acme: https://acme.okta.com\n", 2, "'tenants.acme' must be a mapping"),
        ("tenants:\n  123:\n    org_url: https://x.okta.com\n    token_env: T\n", 2, "tenant name '123'"),
        ("tenants:\n  'a b':\n    org_url: https://x.okta.com\n    token_env: T\n", 2, "tenant name 'a b'"),
        ("tenants:\n  acme:\n    org_url: https://acme.okta.com\n  acme:\n    org_url: x\n", 4, "duplicate key"),
        ("tenants:\n  a:\n    org_url: https://acme.okta.com\n    token_env: A\n"
         "  b:\n    org_url: https://ACME.okta.com/\n    token_env: B\n", 6,
         "tenant b: org_url https://acme.okta.com is already tenant a's"),
    ],
)
def test_inventory_shape_errors(tmp_path, text, line, fragment):
    path = _write(tmp_path, text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("body", "line", "key"),
    [
        (f"    org_url: https://acme.okta.com\n    token: {SECRET}\n", 4, "token"),
        (f"    org_url: https://acme.okta.com\n    token_env: T\n    api_token: {SECRET}\n", 5, "api_token"),
        (f"    org_url: https://acme.okta.com\n    client_id: x\n    private_key: |\n      {SECRET}\n", 5,
         "private_key"),
        (f"    org_url: https://acme.okta.com\n    token_env: T\n    vars:\n      Client-Secret: {SECRET}\n", 6,
         "Client-Secret"),
    ],
)
def test_secrets_in_the_inventory_are_refused_without_being_shown(tmp_path, body, line, key):
    path = _write(tmp_path, TENANT + body)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: tenant acme: '{key}' holds a secret")
    assert "secrets are never written in the inventory" in message
    assert SECRET not in message and SECRET[:12] not in message


def test_a_token_pasted_into_token_env_is_not_shown(tmp_path):
    path = _write(tmp_path, TENANT + f"    org_url: https://acme.okta.com\n    token_env: {SECRET}\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert "token_env must be the NAME of an environment variable" in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["http://localhost:1234", "http://127.0.0.5", "http://[::1]:8080", "https://acme.okta.com",
            "https://acme.okta-emea.com", "https://login.acme.com"],
)
def test_allowed_org_urls(tmp_path, url):
    path = _write(tmp_path, TENANT + f"    org_url: '{url}'\n    token_env: T\n")
    assert load_inventory(path)[0].org_url == url


@pytest.mark.parametrize("url", ["http://10.0.0.1", "http://128.0.0.1", "http://localhost.evil.com", "ftp://x",
                                 "https://user:pw@acme.okta.com", "https://acme.okta.com?x=1"])
def test_refused_org_urls(tmp_path, url):
    path = _write(tmp_path, TENANT + f"    org_url: '{url}'\n    token_env: T\n")
    with pytest.raises(InventoryError, match=r":3: tenant acme: org_url"):
        load_inventory(path)


# --- --limit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "names"),
    [
        (None, ["acme", "acme-dev", "local"]),
        ("acme", ["acme"]),
        ("tag:prod", ["acme"]),
        ("dev", ["acme-dev"]),  # a bare word that is a tag
        ("acme-*", ["acme-dev"]),
        ("acme*", ["acme", "acme-dev"]),
        ("local, acme", ["acme", "local"]),  # inventory order
        ("!local", ["acme", "acme-dev"]),
        ("acme*,!tag:dev", ["acme"]),
        ("tag:e*", ["acme"]),
    ],
)
def test_select(inventory, limit, names):
    assert [t.name for t in select(load_inventory(inventory), limit)] == names


@pytest.mark.parametrize(
    ("limit", "fragment"),
    [("nosuch", "'nosuch' matches no tenant"), ("tag:qa", "'tag:qa' matches no tenant"), (" , ", "names no tenant"),
     ("acme,!acme", "leaves no tenant"), ("zz*", "'zz*' matches no tenant")],
)
def test_select_errors(inventory, limit, fragment):
    with pytest.raises(InputError) as caught:
        select(load_inventory(inventory), limit)
    assert str(caught.value).startswith("--limit: ")
    assert fragment in str(caught.value)


# --- the okta SDK's conventions ----------------------------------------------------------------


def test_default_tenant_from_the_environment(tmp_path):
    env = {"OKTA_CLIENT_ORGURL": "https://acme.okta.com", "OKTA_CLIENT_TOKEN": SECRET}
    spec = default_tenant(environ=env, home=tmp_path / "home", cwd=tmp_path)
    assert spec == TenantSpec(name="acme", org_url="https://acme.okta.com", token_env="OKTA_CLIENT_TOKEN",
                              where="OKTA_CLIENT_ORGURL")
    assert SECRET not in repr(spec)


def test_okta_yaml_wins_over_the_environment_and_local_over_global(tmp_path):
    home, cwd = tmp_path / "home", tmp_path / "work"
    (home / ".okta").mkdir(parents=True)
    cwd.mkdir()
    (home / ".okta" / "okta.yaml").write_text(
        f"okta:\n  client:\n    orgUrl: https://global.okta.com\n    token: {SECRET}\n")
    env = {"OKTA_CLIENT_ORGURL": "https://env.okta.com", "OKTA_CLIENT_TOKEN": "from-env"}
    spec = default_tenant(environ=env, home=home, cwd=cwd)
    assert (spec.name, spec.config_file, spec.token_env) == ("global", home / ".okta" / "okta.yaml", None)
    assert spec.where == f"{home / '.okta' / 'okta.yaml'}:3"
    (cwd / "okta.yaml").write_text("okta:\n  client:\n    orgUrl: http://127.0.0.1:9999\n")
    spec = default_tenant(environ=env, home=home, cwd=cwd)
    assert (spec.name, spec.org_url) == ("127.0.0.1-9999", "http://127.0.0.1:9999")
    assert spec.config_file == home / ".okta" / "okta.yaml"  # the token still comes from the global file
    assert SECRET not in repr(spec)


def test_default_tenant_private_key_mode(tmp_path):
    key = _pem(tmp_path)
    (tmp_path / "okta.yaml").write_text(
        "okta:\n  client:\n    orgUrl: https://acme.okta.com\n    authorizationMode: PrivateKey\n"
        f"    clientId: 0oa1\n    scopes: [okta.users.read, okta.logs.read]\n    privateKey: {key}\n")
    spec = default_tenant(environ={}, home=tmp_path / "home", cwd=tmp_path)
    assert (spec.client_id, spec.scopes, spec.private_key_file) == ("0oa1", ("okta.users.read", "okta.logs.read"), key)
    env = {"OKTA_CLIENT_ORGURL": "https://acme.okta.com", "OKTA_CLIENT_AUTHORIZATIONMODE": "PrivateKey",
           "OKTA_CLIENT_CLIENTID": "0oa2", "OKTA_CLIENT_SCOPES": "okta.users.read,okta.logs.read",
           "OKTA_CLIENT_PRIVATEKEY": key.read_text()}
    spec = default_tenant(environ=env, home=tmp_path / "home", cwd=tmp_path / "nowhere")
    assert (spec.client_id, spec.private_key_env) == ("0oa2", "OKTA_CLIENT_PRIVATEKEY")
    assert type(resolve_auth(spec, environ=env)).__name__ == "PrivateKeyAuth"


@pytest.mark.parametrize(
    ("env", "yaml", "fragment"),
    [
        ({}, None, "no tenant given: use -i INVENTORY, or set OKTA_CLIENT_ORGURL"),
        ({"OKTA_CLIENT_ORGURL": "http://acme.okta.com"}, None, "OKTA_CLIENT_ORGURL: org_url must use https"),
        ({}, "okta: [1]\n", "okta.yaml:1: okta.yaml holds"),
        ({}, "okta:\n  client:\n    orgUrl: https://a.okta.com\n    authorizationMode: PrivateKey\n", "needs clientId"),
    ],
)
def test_default_tenant_errors(tmp_path, env, yaml, fragment):
    if yaml is not None:
        (tmp_path / "okta.yaml").write_text(yaml)
    with pytest.raises(InventoryError) as caught:
        default_tenant(environ=env, home=tmp_path / "home", cwd=tmp_path)
    assert fragment in str(caught.value)


# --- credentials -------------------------------------------------------------------------------


def test_resolve_ssws_token_from_the_environment(inventory):
    acme = load_inventory(inventory)[0]
    auth = resolve_auth(acme, environ={"ACME_OKTA_TOKEN": SECRET})
    assert type(auth).__name__ == "SswsAuth"
    assert SECRET not in repr(auth)


def test_missing_token_variable_names_the_variable_not_a_value(inventory):
    acme = load_inventory(inventory)[0]
    with pytest.raises(CredentialError) as caught:
        resolve_auth(acme, environ={"OTHER": SECRET})
    assert str(caught.value) == "tenant acme: environment variable ACME_OKTA_TOKEN is not set"
    with pytest.raises(CredentialError, match="tenant acme: the API token"):
        resolve_auth(acme, environ={"ACME_OKTA_TOKEN": "  "})


def test_token_from_okta_yaml(tmp_path):
    (tmp_path / "okta.yaml").write_text(f"okta:\n  client:\n    orgUrl: https://acme.okta.com\n    token: {SECRET}\n")
    spec = default_tenant(environ={}, home=tmp_path / "home", cwd=tmp_path)
    assert type(resolve_auth(spec, environ={})).__name__ == "SswsAuth"
    (tmp_path / "okta.yaml").write_text("okta:\n  client:\n    orgUrl: https://acme.okta.com\n")
    with pytest.raises(CredentialError, match=r"has no okta\.client\.token"):
        resolve_auth(spec, environ={})


def test_private_key_file(inventory):
    dev = load_inventory(inventory)[1]
    with pytest.raises(CredentialError) as caught:
        resolve_auth(dev, environ={})
    assert str(caught.value) == f"tenant acme-dev: private key file {inventory.parent / 'keys/acme-dev.pem'} not found"
    _pem(inventory.parent, "keys/acme-dev.pem")
    auth = resolve_auth(dev, environ={})
    assert type(auth).__name__ == "PrivateKeyAuth"
    assert "PRIVATE KEY" not in repr(auth)


def test_unusable_private_keys_are_refused_without_being_shown(tmp_path):
    spec = TenantSpec(name="acme", org_url="https://acme.okta.com", client_id="0oa1",
                      private_key_file=tmp_path / "k.pem", scopes=("okta.users.read",))
    (tmp_path / "k.pem").write_text(f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n")
    with pytest.raises(CredentialError) as caught:
        resolve_auth(spec, environ={})
    assert "is not a PEM private key" in str(caught.value) and SECRET not in str(caught.value)
    _pem(tmp_path, "k.pem", password=b"pw")
    with pytest.raises(CredentialError, match="is encrypted"):
        resolve_auth(spec, environ={})


def test_service_app_scopes_come_from_the_inventory_or_the_caller(tmp_path):
    key = _pem(tmp_path)
    spec = TenantSpec(name="acme", org_url="https://acme.okta.com", client_id="0oa1", private_key_file=key)
    with pytest.raises(CredentialError, match=r"tenant acme: an OAuth 2\.0 service app needs `scopes`"):
        resolve_auth(spec, environ={})
    assert resolve_auth(spec, scopes=["okta.orgs.read"], environ={}).scopes == ("okta.orgs.read",)


@pytest.mark.parametrize(
    ("url", "name"),
    [("https://acme.okta.com", "acme"), ("https://acme-test.oktapreview.com", "acme-test"),
     ("https://acme.okta-emea.com", "acme"), ("https://login.acme.com", "login.acme.com"),
     ("http://localhost:8080", "localhost-8080"), ("http://[::1]:9", "localhost-9")],
)
def test_default_tenant_name_comes_from_the_org_host(tmp_path, url, name):
    spec = default_tenant(environ={"OKTA_CLIENT_ORGURL": url}, home=tmp_path, cwd=tmp_path)
    assert spec.name == name

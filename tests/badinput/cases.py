"""Bad input: malformed playbooks, inventories, variables and dates, with the place and message each must give.

Importable on its own (no pytest needed): the CLI tests run `remediator plan PLAYBOOK *extra_args` (and
`remediator validate PLAYBOOK *extra_args` where `validate_ok`) for every case and expect exit 1, one line
naming the place, no traceback and no request. Every case carries `-i` with a loopback inventory, so no
okta SDK environment is needed.

    CASES: list of (id, playbook_path, extra_args, expected_fragment)   the table the CLI tests use
    FULL_CASES: list of Case                                            the same with place and error class
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from remediator.errors import InputError, InventoryError, PlaybookError

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
INVENTORIES = HERE / "inventories"
OK_PLAYBOOK = PLAYBOOKS / "ok.yml"
OK_INVENTORY = INVENTORIES / "ok.yml"


class Case(NamedTuple):
    id: str
    path: Path  # the playbook
    extra_args: list[str]  # CLI arguments after the playbook (always an -i)
    fragment: str  # part of the message
    place: str  # what str(error) starts with: "file:line", "-e KEY" or "--limit"
    error: type[InputError]

    @property
    def validate_ok(self) -> bool:
        """`remediator validate` takes only -i; the other cases need `plan`."""
        return not any(a in ("-e", "--limit") for a in self.extra_args)


def _pb(name: str, line: int | None, fragment: str, error: type[InputError] = PlaybookError) -> Case:
    path = PLAYBOOKS / f"{name}.yml"
    place = f"{path}:{line}" if line else str(path)
    return Case(f"playbook-{name}", path, ["-i", str(OK_INVENTORY)], fragment, place, error)


def _inv(name: str, line: int, fragment: str, place: str | None = None,
         error: type[InputError] = InventoryError) -> Case:
    path = INVENTORIES / f"{name}.yml"
    return Case(f"inventory-{name}", OK_PLAYBOOK, ["-i", str(path)], fragment, place or f"{path}:{line}", error)


def _extra(case_id: str, pairs: list[str], place: str, fragment: str, error: type[InputError] = InputError) -> Case:
    args = ["-i", str(OK_INVENTORY)]
    for pair in pairs:
        args += ["-e", pair]
    return Case(f"extra-{case_id}", OK_PLAYBOOK, args, fragment, place, error)


FULL_CASES: list[Case] = [
    # playbooks: YAML
    _pb("yaml_syntax", 6, "not valid YAML"),
    _pb("duplicate_key", 5, "duplicate key 'name' (first written on line 3)"),
    _pb("not_mapping", 1, "a playbook is a mapping with name, vars and states"),
    _pb("empty", 1, "a playbook is a mapping with name, vars and states, got null"),
    _pb("not_utf8", None, "not UTF-8 text"),
    _pb("secret_var", 5, "variable 'api_token' holds a secret, and secrets are never written in a playbook"),
    _pb("missing_file", None, "no such file"),
    # playbooks: structure and kinds
    _pb("unknown_kind", 6, "unknown kind \"okta.admin_password\" (did you mean 'okta.admin_passwords'?)"),
    _pb("two_kinds", 5, "names two kinds, 'okta.support_access' and 'okta.admin_passwords'"),
    _pb("no_kind", 5, "state 'nothing to do' names no kind"),
    _pb("missing_states", 1, "missing \"states\""),
    _pb("unknown_top_key", 3, "unknown key \"sates\" (did you mean 'states'?)"),
    _pb("state_without_name", 3, "state #1: missing \"name\""),
    _pb("negative_max_changes", 2, "'max_changes' must be a whole number"),
    _pb("bad_tags", 5, "state 'Okta Support cannot reach the tenant': 'tags' must be a list of tags"),
    # playbooks: arguments, templates, variables, dates
    _pb("bad_argument", 5, "okta.support_access: 'enabled' must be false, got true"),
    _pb("unknown_argument", 6, "okta.support_access: unknown key \"force\" (allowed: enabled)"),
    _pb("bad_date", 8, "okta.admin_passwords: 'changed_after' is not a date: \"2022-13-01\""),
    _pb("bad_date_var", 4,
        "variable 'evidence_since': \"{{ breach_date | days_before(7) }}\": not a date: '21/01/2022'"),
    _pb("undefined_var", 7, "'breach_dat' is undefined"),
    _pb("sandbox_escape", 5, "refused by the sandbox"),
    _pb("template_syntax", 7, "\"{{ breach_date | }}\": expected token 'name'"),
    _pb("var_cycle", 3, "variable 'breach_date' depends on itself: breach_date -> evidence_since -> breach_date"),
    _pb("bad_when", 7, "state 'Okta Support cannot reach the tenant': when \"break_glass ===\""),
    _pb("duplicate_state_names", 5,
        "state name 'Okta Support cannot reach the tenant' is used twice (first on line 3)"),
    # the user kinds: selector, role types, statuses (no request is sent: checked before any tenant is read)
    _pb("empty_selector", 5, "okta.user_status: 'users' must not be empty"),
    _pb("selector_unknown_role", 7, "okta.user_sessions: 'users.roles[0]' must be one of"),
    _pb("unknown_role_type", 7, "okta.admin_roles: key \"SUPER_ADMINS\" in 'allowed' must be one of"),
    _pb("user_status_bad_status", 6, "okta.user_status: 'status' must be one of \"SUSPENDED\", \"DEPROVISIONED\", "
        "\"ACTIVE\", got \"LOCKED_OUT\""),
    _pb("user_passwords_selector_typo", 7, "okta.user_passwords: unknown key \"login\" in 'users' "
        "(did you mean 'logins'?)"),
    _pb("user_factors_bad_action", 7, "okta.user_factors: 'action' must be one of \"delete\", \"report\", "
        "got \"remove\""),
    _pb("user_sessions_no_selector", 4, "okta.user_sessions: missing \"users\""),
    _pb("api_tokens_zone_without_zones", 5, "okta.api_tokens: missing \"include\" in 'network'"),
    _pb("group_members_nothing", 4, "okta.group_members: needs one of \"absent\", \"only\", \"present\""),
    # `set` paths of okta.policy and okta.policy_rule (kinds/policy_model.py)
    _pb("policy_unknown_path", 9, "okta.policy_rule: 'set.actions.signon.requireFactr': unknown attribute "
        "'requireFactr' in 'actions.signon' (did you mean 'requireFactor'?)"),
    _pb("policy_read_only", 8, "okta.policy: 'set.lastUpdated': 'lastUpdated' is read-only"),
    _pb("policy_rule_system_conditions", 9, "okta.policy_rule: 'set.conditions.network.connection': a system "
        "rule's conditions are read-only"),
    _pb("policy_rule_persistent_cookie", 9, "okta.policy_rule: 'set.actions.signon.session.usePersistentCookie': "
        "usePersistentCookie is read-only on the default rule of the default global session policy"),
    _pb("policy_read_only_type", 5, "okta.policy: IDP_DISCOVERY policies are read-only (Okta's spec)"),
    _pb("zone_bad_address", 9, "okta.network_zone: 'gateways[1]' does not match"),
    _pb("org_settings_idle_over_lifetime", 6, "okta.org_settings: 'admin_console_session_idle_minutes': an idle "
        "time of 120 minutes is longer than the "
        "session lifetime (60): Okta refuses it"),
    _pb("org_settings_empty", 4, "okta.org_settings: the value must not be empty"),
    _pb("threat_insight_bad_action", 5, "okta.threat_insight: 'action' must be one of \"none\", \"audit\", "
        "\"block\", got \"enforce\""),
    _pb("log_streams_token_in_playbook", 11, "'token' holds a secret, and secrets are never written in a playbook"),
    _pb("authenticator_password_off", 6, "okta.authenticator: 'status': the password authenticator has no "
        "lifecycle"),
    _pb("apps_empty_selector", 4, 'okta.apps: needs one of "created_after", "sign_on_modes", "names"'),
    # -e
    _extra("no_equals", ["breach_date"], "-e breach_date", "expected KEY=VALUE"),
    _extra("empty_key", ["=2022-01-21"], "-e", "the variable name before '=' is empty"),
    _extra("bad_name", ["breach-date=2022-01-21"], "-e breach-date", "a variable name has letters"),
    _extra("bad_yaml", ["break_glass=[a@acme.com, b@acme.com"], "-e break_glass", "the value is not valid YAML"),
    _extra("bad_date", ["breach_date=2022-13-01"], f"{OK_PLAYBOOK}:5",
           "variable 'evidence_since': \"{{ breach_date | days_before(7) }}\": not a date: '2022-13-01'",
           PlaybookError),
    _extra("date_argument", ["evidence_since=ok", "breach_date=yesterday"], f"{OK_PLAYBOOK}:12",
           "okta.admin_passwords: 'changed_after' is not a date: \"yesterday\"", PlaybookError),
    _extra("cycle", ["break_glass={{ break_glass }}"], "-e break_glass",
           "variable 'break_glass' depends on itself", PlaybookError),
    # inventories
    _inv("http_url", 3, "tenant acme: org_url must use https (http only for loopback addresses)"),
    _inv("admin_url", 3, "tenant acme: org_url is the org URL, not the Admin Console's"),
    _inv("secret", 4, "tenant acme: 'token' holds a secret, and secrets are never written in the inventory"),
    _inv("both_credentials", 5, "tenant acme: token_env and client_id exclude each other"),
    _inv("no_credential", 2, "tenant acme: no credential"),
    _inv("duplicate_tenant", 5, "duplicate key 'acme' (first written on line 2)"),
    _inv("tenant_var_undefined", 6, "variable 'break_glass': \"{{ break_glass_logins }}\": "
         "'break_glass_logins' is undefined", error=PlaybookError),
    _inv("tenant_var_bad_date", 0, "not a date: '2022-02-30T00:00:00Z'", place=f"{OK_PLAYBOOK}:5", error=PlaybookError),
    # --limit
    Case("limit-no-match", OK_PLAYBOOK, ["-i", str(OK_INVENTORY), "--limit", "acme-*"], "'acme-*' matches no tenant",
         "--limit", InputError),
]

CASES: list[tuple[str, Path, list[str], str]] = [(c.id, c.path, c.extra_args, c.fragment) for c in FULL_CASES]
SECRETS = ("00bAdInPuTnOtArEaLtOkEn0123456789abcdefgh",)  # written in a bad inventory; must never be shown

"""States for the three-step test of the library kinds that the shipped LAPSUS$ playbook does not run.

Each is written against what the lapsus-2022 scenario plants (see remediator/sandbox/scenarios/_config.py):
ThreatInsight never turned on, a two-hour Admin Console idle time, no anonymizer block list, WebAuthn
INACTIVE, no log stream.
"""

from __future__ import annotations

from typing import Any

LIBRARY_STATES: dict[str, dict[str, Any]] = {
    "okta.threat_insight": {"name": "ThreatInsight blocks", "okta.threat_insight": {
        "action": "block", "exempt_zones": ["Office egress"]}},
    "okta.org_settings": {"name": "Org settings hardened", "okta.org_settings": {
        "admin_console_session_idle_minutes": 15, "auto_assign_admin_app": False, "client_privileges": False,
        "lockout_unknown_devices": True}},
    "okta.network_zone": {"name": "Anonymizers blocked", "okta.network_zone": {
        "name": "Block anonymizers", "type": "DYNAMIC_V2", "usage": "BLOCKLIST",
        "ip_service_categories": ["ALL_ANONYMIZERS"]}},
    "okta.authenticator": {"name": "WebAuthn on", "okta.authenticator": {"key": "webauthn", "status": "ACTIVE"}},
    "okta.log_streams": {"name": "System Log streamed", "okta.log_streams": {
        "active": True, "create": {"type": "aws_eventbridge", "name": "SIEM", "account_id": "123456789012",
                                   "event_source_name": "okta-system-log", "region": "us-east-1"}}},
}

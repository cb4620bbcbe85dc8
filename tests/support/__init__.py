"""The tests' one set of doubles; nothing else under tests/ defines a fake client or a fake clock
(tests/layout/test_test_doubles.py fails if one appears).

- `FakeClock` (clock.py): local monotonic and wall time and sleeping, moved only by the test; it drives the
  real client's pacing, retries and tenant-clock estimate, and the fake client's tenant "now".
- `FakeClient` (client.py): the tenant client as the kinds, facts and evidence use it (canned routes, a
  System Log with Okta's query semantics), every request recorded; `context` makes a kind's TenantContext.
- `FakeOkta` (okta_server.py): the one fake transport, a scripted HTTP server for the real client's tests.
- tenant.py: Okta-shaped users, roles, an admin org and System Log events for the fake client.
- requests.py: sandbox middlewares recording the requests made, or counting them per rate-limit bucket.
"""

from tests.support.client import Call, FakeClient, Interrupted, answer, api_error, context
from tests.support.clock import FakeClock
from tests.support.tenant import admin_org, event, role, spread, user

__all__ = ["Call", "FakeClient", "FakeClock", "Interrupted", "admin_org", "answer", "api_error", "context", "event",
           "role", "spread", "user"]

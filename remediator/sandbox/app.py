"""The aiohttp application of one sandbox tenant: the routes assembled behind Okta's wire conventions.

Middleware order, outermost first: wire (request id, Date from the tenant clock, rate-limit headers,
Okta error bodies), then the extra middlewares handed to `build_app` (rate limits, faults), then auth.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

from remediator.sandbox import auth, routes_apps, routes_config, routes_org, routes_roles, routes_users, syslog
from remediator.sandbox.config import SandboxConfig
from remediator.sandbox.store import Clock, Store
from remediator.sandbox.wire import TENANT, Tenant, wire_middleware


def build_app(store: Store, clock: Clock, config: SandboxConfig,
              extra_middlewares: Iterable[Middleware] = ()) -> web.Application:
    """The tenant's application; `extra_middlewares` (rate limits, faults) run inside the wire layer."""
    middlewares: list[Middleware] = [wire_middleware, *extra_middlewares, auth.auth_middleware]
    app = web.Application(middlewares=middlewares,
                          client_max_size=8 * 1024 * 1024)
    if config.log_delay and store.persistence is None:
        store.delay_persistence(config.seed, config.log_delay, config.log_delay_share)
    app[TENANT] = Tenant(store, clock, config)
    for module in (auth, routes_users, routes_roles, routes_org, routes_apps, routes_config, syslog):
        app.add_routes(module.routes)
    return app

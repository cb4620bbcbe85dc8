"""The naive baseline: what a responder writes with the official okta SDK (3.4.6) in an hour.

List every user (the SDK's `paginate_all`), then, one user after the other, read each user's roles
and factors to find the admins and their MFA. SDK paging, SDK retries (its defaults: 2 retries, a
429 waits `Reset - Date + 1 s`). The SDK's models reject real role and factor shapes (see
../shared/guide/okta-api.md), so those two reads go through the SDK's own request executor, the
same HTTP stack, one call each: the calls are the ones the SDK way makes, nothing is batched or
parallelised.

    python benchmarks/naive_baseline.py --org-url URL --token-env VAR [--budget-s 30]

Stops reading per-user details after `--budget-s` seconds (the whole run would take about an hour
at Okta's limits) and prints JSON: the list phase (complete), how many users were detailed in how
long, and the errors the SDK returned.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from typing import Any

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)  # the SDK applies proxies to every URL, loopback included
os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "1"  # plain http to the 127.0.0.1 sandbox

from okta.client import Client  # noqa: E402
from okta.pagination import paginate_all  # noqa: E402


async def raw_get(client: Client, url: str) -> tuple[Any, Any]:
    executor = client.get_request_executor()
    request, error = await executor.create_request("GET", url, {}, {})
    if error is not None:
        return None, error
    _, body, error = await executor.execute(request)
    return (json.loads(body) if body else None), error


async def run(org_url: str, token: str, budget: float) -> dict[str, Any]:
    if not org_url.startswith("http://127.0.0.1:"):
        raise SystemExit("the naive baseline only talks to a local sandbox")
    client = Client({"orgUrl": org_url, "token": token})
    t0 = time.perf_counter()
    users = [u async for u in paginate_all(client.list_users, limit=200)]
    list_wall = time.perf_counter() - t0
    admins = without_factor = errors = detailed = 0
    t1 = time.perf_counter()
    for user in users:
        if time.perf_counter() - t1 >= budget:
            break
        roles, err1 = await raw_get(client, f"{org_url}/api/v1/users/{user.id}/roles")
        factors, err2 = await raw_get(client, f"{org_url}/api/v1/users/{user.id}/factors")
        errors += (err1 is not None) + (err2 is not None)
        detailed += 1
        if roles:
            admins += 1
            if not any(f.get("status") == "ACTIVE" for f in factors or ()):
                without_factor += 1
    detail_wall = time.perf_counter() - t1
    return {
        "users_listed": len(users), "list_pages": -(-len(users) // 200), "list_wall_s": round(list_wall, 3),
        "users_detailed": detailed, "detail_calls": 2 * detailed, "detail_wall_s": round(detail_wall, 3),
        "admins_found": admins, "admins_without_factor": without_factor, "errors": errors,
        "complete": detailed == len(users),
        "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="naive okta SDK baseline")
    p.add_argument("--org-url", required=True)
    p.add_argument("--token-env", required=True)
    p.add_argument("--budget-s", type=float, default=30.0)
    args = p.parse_args(argv)
    result = asyncio.run(run(args.org_url, os.environ[args.token_env], args.budget_s))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

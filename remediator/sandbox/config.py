"""Settings shared by the sandbox server and the middlewares plugged into it (rate limits, faults)."""

from __future__ import annotations

from dataclasses import dataclass, field

RATE_LIMIT_PLANS = ("off", "enterprise", "workforce")


@dataclass(frozen=True)
class SandboxConfig:
    """How a sandbox tenant behaves on the wire.

    `time_scale` makes a rate-limit "minute" last 60/time_scale seconds (benchmarks); the tenant clock
    itself always advances in real time from `clock`.
    """

    rate_limits: str = "off"
    time_scale: float = 1.0
    faults: str | None = None
    seed: int = 1
    token: str = field(default="", repr=False)  # never in a repr, a log or an error
    clock: str | None = None

    def __post_init__(self) -> None:
        if self.rate_limits not in RATE_LIMIT_PLANS:
            raise ValueError(f"rate_limits must be one of {', '.join(RATE_LIMIT_PLANS)}: {self.rate_limits!r}")
        if not self.time_scale > 0:
            raise ValueError(f"time_scale must be positive: {self.time_scale!r}")

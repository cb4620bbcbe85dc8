"""Settings shared by the sandbox server and the middlewares plugged into it (rate limits, faults)."""

from __future__ import annotations

from dataclasses import dataclass, field

RATE_LIMIT_PLANS = ("off", "enterprise", "workforce")
#: Delayed persistence of the `lapsus-2022` scenario and the benchmarks: up to 3 minutes, for 20% of events.
DEFAULT_LOG_DELAY = 180.0
DEFAULT_LOG_DELAY_SHARE = 0.2


@dataclass(frozen=True)
class SandboxConfig:
    """How a sandbox tenant behaves on the wire.

    `time_scale` makes a rate-limit "minute" last 60/time_scale seconds (benchmarks); the tenant clock
    itself always advances in real time from `clock`. `log_delay` > 0 turns on delayed persistence of
    System Log events: a seeded `log_delay_share` of them becomes visible up to `log_delay` seconds after
    its `published` (Okta: "Some events may be delayed"); 0 makes every event visible at once.
    """

    rate_limits: str = "off"
    time_scale: float = 1.0
    faults: str | None = None
    seed: int = 1
    token: str = field(default="", repr=False)  # never in a repr, a log or an error
    clock: str | None = None
    log_delay: float = 0.0
    log_delay_share: float = DEFAULT_LOG_DELAY_SHARE

    def __post_init__(self) -> None:
        if self.rate_limits not in RATE_LIMIT_PLANS:
            raise ValueError(f"rate_limits must be one of {', '.join(RATE_LIMIT_PLANS)}: {self.rate_limits!r}")
        if not self.time_scale > 0:
            raise ValueError(f"time_scale must be positive: {self.time_scale!r}")
        if not self.log_delay >= 0 or not 0 <= self.log_delay_share <= 1:
            raise ValueError(f"log delay must be >= 0 s for a share in [0, 1]: {self.log_delay!r}, "
                             f"{self.log_delay_share!r}")

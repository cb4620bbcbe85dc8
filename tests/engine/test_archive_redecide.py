"""Apply re-decides (issue 9, point 1) the archive's local change: its planned range is still wanted when the
fresh decision reaches as far (a clock read from `Date` may be a second earlier), not when it was edited
beyond it or before the state's `since`."""

from __future__ import annotations

from dataclasses import replace

from remediator.kinds import REGISTRY
from remediator.plan import Change, Target


def test_apply_keeps_a_planned_range_the_fresh_decision_still_holds() -> None:
    kind = REGISTRY["okta.system_log_archive"]("logs", {"since": "2022-01-14T00:00:00Z", "dir": "ev"})
    planned = Change("logs", kind.name, "archive", Target("system_log", "ev/t"), {"covered": None},
                     {"covered": ["2022-01-14T00:00:00.000Z", "2022-03-22T12:00:01.000Z"]}, "missing", local=True)
    fresh = replace(planned, after={"covered": ["2022-01-14T00:00:00.000Z", "2022-03-22T12:00:00.000Z"]})
    assert kind.same_change(planned, fresh)
    edited = replace(planned, after={"covered": ["2022-01-14T00:00:00.000Z", "2099-01-01T00:00:00.000Z"]})
    assert not kind.same_change(edited, fresh)
    earlier = replace(planned, after={"covered": ["1970-01-01T00:00:00.000Z", "2022-03-22T12:00:00.000Z"]})
    assert not kind.same_change(earlier, fresh)

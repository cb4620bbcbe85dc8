"""The engine: runs kinds over tenants. Planning reads and diffs; applying writes and journals.

    plan_all(...)   -> Plan               read every tenant concurrently, diff, guard; never writes
    apply_plan(...) -> ApplyOutcome       write the plan's changes, journal each, recap per tenant

One tenant's failure is recorded in its own plan or recap and never stops the others.
"""

from remediator.engine.applier import ApplyOutcome, TenantRecap, apply_plan
from remediator.engine.planner import PlannedRun, plan_all
from remediator.engine.session import RunSettings, TenantSession

__all__ = ["ApplyOutcome", "PlannedRun", "RunSettings", "TenantRecap", "TenantSession", "apply_plan", "plan_all"]

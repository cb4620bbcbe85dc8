"""The engine: runs kinds over tenants. The one way in for the CLI, the demo, benchmarks and tests:

    plan(jobs, PlanSettings)                        -> Plan    read, decide, guard; never writes
    apply(plan, tenants, journal, ApplySettings)    -> Recap   re-check, re-decide, guard, write, journal

`apply` takes the plan document itself (saved or just made): it carries every state's arguments and
guardrail, so applying a saved plan and applying a playbook are one path. One tenant's failure is
recorded in its own plan or recap and never stops the others.
"""

from remediator.engine.applier import Recap, TenantRecap, apply
from remediator.engine.planner import TenantJob, jobs_for, plan, playbook_ref
from remediator.engine.session import ApplySettings, PlanSettings, RunSettings, TenantSession

__all__ = ["ApplySettings", "PlanSettings", "Recap", "RunSettings", "TenantJob", "TenantRecap", "TenantSession",
           "apply", "jobs_for", "plan", "playbook_ref"]

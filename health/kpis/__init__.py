"""The KPI registry: every number PS is measured on, defined once, in code.

Read this first. Each ``Kpi`` says what it measures and why that is a PS measure,
its unit, which direction is better, and two functions:

- ``compute(as_of, scope)`` returns the value on the day ``as_of`` (``None`` when
  there is nothing to measure). It reads only what was already true on that day
  (a pain point resolved by then, a follow-up completed by then), so the daily
  snapshots and the backfill from history (``health.snapshots``) agree.
- ``evidence(as_of, scope)`` returns the rows behind the number and a sentence on
  how it was computed, with the actual counts: what the tile's drill-down shows.

Both are set-based: a fixed number of queries per KPI, whatever the number of rows.

What history does not keep, a past day cannot see: a recommendation's status is its
current one (a deferral later accepted moves to its new decision date), a follow-up
cancelled after the day is left out, users deactivated since are not counted, and a
scaling pain point projects from the numbers last recorded on it.

``KpiScope`` narrows a KPI. Engagement KPIs respect the lead and the engagement
kind, handoff KPIs the kind of engagement sold (``HandoffPacket.engagement_kind``),
team KPIs neither. The window is ``[as_of - period_days, as_of]``, both days
included, in the current time zone. Tenants store only targets (``KpiTarget``) and
daily values (``KpiSnapshot``); ``kpi_tiles`` puts value, target and trend together.

Definitions shared with the handoffs app (surprise, first-pass acceptance, review
turnaround) are taken from ``handoffs.reports``, so the dashboard and the
sales-enablement report never disagree.
"""

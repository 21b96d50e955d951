"""The anonymous pulse: energy, workload, psychological safety and a free comment.

Every module of this package (``holding``, ``services``, ``selectors``) serves one
promise: **nobody, leaders and database readers included,
can tell what a given person answered.**

Threat model
============

Protected against: the insiders below, and a reader of the database at any moment
(SQL access, a dump, a backup, a replica, a tenant admin with a database console,
the Django admin). Such a reader sees ``PulseParticipation`` (who answered which
week, one row each, in the order and transactions in which people answered) and
``PulseResponse`` (the answers).
Nothing joins the two:

- Columns: an answer has no user, no session, no timestamp (only the ISO week) and a
  random UUID key; the holding area (below) keeps no user either.
- The holding area: an answer waits, until at least the tenant's minimum have
  arrived, as a ``HeldPulseAnswer`` row written in the same transaction as the
  person's participation (so that a restart of any process loses neither the answer
  nor the "answered this week" without the other). The row is sealed (AES-GCM, a key
  derived from ``SECRET_KEY`` with HKDF, the tenant schema and week bound in) and
  padded to one fixed length: a reader of the database sees that someone answered,
  which the participation says anyway, and a blob that tells nothing of the answer,
  not even the length of its comment.
- Row order, keys and transaction ids: a published answer is never written when it
  is given. Once the week holds the minimum, the whole week is rewritten in ONE
  transaction that also deletes the held rows (that
  week's rows deleted, every answer of the week inserted again in a random order
  with fresh uuid4 keys). The table therefore only ever holds one batch per week:
  one ``xmin`` for all of its rows, different from every participation's, and a
  physical order (``ctid``) and key order that are random, not the answer order.
- Timing: the database write happens only when a batch completes, so it says "one
  of these N people" (N >= the minimum), never "the person who answered at 10:02".
- The team column: a team is a quasi-identifier (with one person from team X
  answering, the row with team X is theirs, and ``User.team`` says who that is). So
  the team of an answer is stored only when the team shows under its own name by
  the display rules below; every other answer is stored with an empty team (the
  "Other teams" group), and every stored group has at least the minimum. Once
  folded, an answer's team is gone for good: later batches never restore it.
- Results: counts and averages only for closed weeks and for groups of at least
  the minimum, with the subtraction guard below; comments only under a group that
  is shown, in random order.

Insiders
========

The same promise holds against people who use the app itself, each with what they
can see by right:

- **Colleagues** see nothing of the pulse but their own form; the results page is for
  leaders and admins. A colleague told of a team change sees who joins, never an answer.
- **Managers** read their direct reports' named check-ins (``/checkins/team/``). Any
  aggregate shown next to named data must stay anonymous after removing everything its
  viewer reads by name: the check-in summary is computed per viewer, without the
  viewer and their direct reports, and says "Not shown: fewer than N people outside
  your team answered" when the rest is below the minimum; the team KPIs (stored once
  per tenant) leave out every leader and admin and the people they manage. Pulse
  answers are never shown by name to anyone, so no pulse figure has named data to be
  subtracted from.
- **Leaders** read the results, the dashboard's pulse and the KPIs: closed weeks and
  groups of at least the minimum only, folded against subtraction (below).
- **Tenant admins** can create accounts, move people between teams and change the
  minimum. Counting accounts is not counting people, so (``health.groups``):
  an account counts toward a group, and may answer, only from its third ISO week
  (two full weeks after the one it joined in); a team change and a minimum change
  take effect from the week after they were seen, never in the week they are made,
  and are announced in the app and by email to the people they concern (the person,
  the team left, the team joined; everyone for the minimum); each week is judged by
  the minimum and the memberships in force for it. Invited puppets therefore cannot
  answer in the week they are made, nor join a team unannounced.
- **Comments** need twice the minimum (``COMMENT_FACTOR``), folded by the same rule:
  a team keeps its comments under its name only with that many answers and only if
  the other comments together are as many; otherwise they are shown together, or
  under all teams, or not at all. Chosen over a single shuffled list of the whole
  organization because a team's comments are what a leader can act on, and a group of
  twice the minimum already asks an insider for twice the accounts; words identify
  their author sooner than a score, so they ask for the larger group. Every figure
  and comment list says how many answers it rests on.
- **Operators** (public schema) and **database readers** (a dump, a replica, the
  Django admin) see ``TeamMembership`` and ``AnonymityMinimum`` too: they say who
  belonged to which team from which week, which ``User.team`` said already, and
  nothing about any answer. No column of ``PulseResponse`` changed: nothing links an
  answer to a person, and whether an answer came from a newcomer is never stored
  (newcomers' answers are not taken at all, which is decided before an answer exists).

Not protected against (residual risks, by design or out of reach of this code):

- A patient admin: accounts made three weeks ahead and moved into a team (announced to
  that team a week before they count) still make the group. The announcement is the
  defence: the team sees who joins. So is an admin who controls accounts that were
  long-standing members already; the minimum is a count of accounts in the end.
- A leader's former reports: the check-in summary leaves out the viewer's current
  reports, not people they managed earlier and may remember.
- KPI snapshots stored before the team KPIs left out named people keep the old values
  until rebuilt (``manage.py backfill_kpi_snapshots``).

- Someone who watches the system while people answer: Redis ``MONITOR`` or
  repeated reads of the holding area, the application server's memory or request
  logs, PostgreSQL statement logs. Such an observer sees answers as they arrive.
- A reader of the database who also has ``SECRET_KEY`` (an operator of the
  servers): a held answer shares its transaction id with its author's participation
  until its week is published, so it can be opened and read as theirs. Keep the
  secret out of backups and away from database readers; once a week is published
  its held rows are gone (but see successive states, below).
- Successive states of the database: repeated dumps, WAL archives or not yet
  vacuumed dead rows keep earlier batches, so their difference tells which answers
  arrived in which batch (each of at least the minimum, but a team label can
  narrow a batch's part further).
- The comment text itself (style, details). The form says so.

Rules as implemented
====================

- One answer per person per week: a ``PulseParticipation`` row (unique per user and
  week, holding no answer) is written in its own transaction; only after it commits
  is the answer added to the holding area. A second answer is refused.
- Holding area: ``HeldPulseAnswer`` rows, sealed (``health.pulse.holding``); a key
  rotation keeps the old secret in ``SECRET_KEY_FALLBACKS`` until held weeks are
  published, or their answers cannot be opened.
- Publishing: as soon as a week holds at least the minimum, its held rows are read,
  opened and deleted and the week is rewritten as above, in one transaction under a
  per-week advisory lock: a failure leaves everything held for the hourly job.
- Closing: a week is over when its Sunday is over everywhere on Earth (UTC-12, the
  last time zone), so nobody can still add to a week whose results are shown. The
  hourly job ``pulse_publish`` publishes weeks that reached the minimum and
  deletes unread the held answers of closed weeks below it: the form says so before
  anyone answers, and the thank-you says so again. They are not carried into a later
  week: one person's answers of two weeks in one group would let a group of N answers
  be fewer than N people.
- Results: only for closed weeks; nothing, not even a count, for a week still open
  or a week with fewer answers than the minimum in force for that week. Per team: a
  team with fewer than the minimum answers is folded into "Other teams" (with people
  without a team);
  "Other teams" is shown only with at least the minimum. Subtraction guard: if the
  answers not shown under a team's name number between 1 and minimum - 1, the total
  minus the teams shown would reveal them, so the smallest team shown is folded in
  with them, again and again, until they reach the minimum or no team is left
  (then only the overall result is shown).
"""

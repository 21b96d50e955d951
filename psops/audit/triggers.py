"""Every write to a tenant's business tables is recorded by PostgreSQL itself.

Why triggers: Django signals and model history libraries that hook ``save()`` miss
``QuerySet.update()``, ``bulk_create()``, ``bulk_update()``, the scans' set-based
writes, raw SQL and a ``psql`` session. A trigger sees them all.

Why one table and statement-level triggers (and not django-pghistory, which also
records through triggers): pghistory keeps a snapshot table per tracked model and
works out "what changed" when it is read, by comparing each snapshot with the one
before it across the union of every event table. The audit page lists the newest
changes of all tables with filters, so that read would grow with the whole history;
here the trigger stores the change itself (``{column: [before, after]}``) in one
table whose indexes serve each filter of the page. Statement-level triggers with
transition tables write one ``INSERT ... SELECT`` per statement, so a scan updating
5,000 rows pays one set-based insert, not 5,000 trigger calls.

What a trigger knows beyond the rows: ``psops.audit.context`` sets the
``psops.audit_context`` setting, in the same transaction as each write statement,
to who is acting (person, API token or job), from which request or task. A write
with no context (a migration, ``psql``) is recorded as the database role's.

Coverage by default: every table of ``TENANT_APPS`` (many-to-many tables included)
gets the triggers unless ``UNAUDITED`` names it with the reason, so a new model is
audited from the migrate that creates it; ``tests/psops/audit`` fails when a table
has neither. ``RULES`` says, per table, which columns are never recorded (only that
they changed) and which are bookkeeping whose change alone is no event.

Privacy: the pulse's answers, its holding area and who answered leave no trace (the
tables are in ``UNAUDITED``); a private 1:1 note is recorded as written by whom on
which 1:1, never its text; a check-in's answers, shared 1:1 notes and every column
of a risk private to one person are hidden the same way.
"""

from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models

FUNCTION = "audit_record"
GUARD = "audit_append_only"
TABLE = "audit_entry"

UNAUDITED: dict[str, str] = {
    TABLE: "the audit trail itself (append-only, see GUARD)",
    # Privacy: nothing that could link a pulse answer to a person, in any form.
    "health_pulseresponse": "anonymous pulse answers",
    "health_heldpulseanswer": "pulse answers held until the group is large enough",
    "health_pulseparticipation": "who answered the pulse, and when: next to the release "
    "of held answers it would narrow down who answered what",
    # Records that are themselves logs, or derived from audited rows.
    "django_admin_log": "the admin's own log of its changes, which are audited anyway",
    "django_session": "sessions: their data is secret and changes on every request",
    "axes_accessattempt": "sign-in attempts: a log kept by django-axes",
    "axes_accessattemptexpiration": "sign-in attempt expiry: a log kept by django-axes",
    "axes_accessfailurelog": "sign-in failures: a log kept by django-axes",
    "axes_accesslog": "sign-ins and sign-outs: a log kept by django-axes",
    "accounts_notification": "notices derived from audited changes; read marks on every view",
    "outbox_outboundemail": "emails derived from audited changes; bodies hold one-time links",
    "submissions_submission": "double-submit guard tokens",
    "health_kpisnapshot": "KPI values recomputed every day from audited rows",
    "health_kpidatachange": "the KPI cache's write tally",
    "django_content_type": "written by migrate only",
    "auth_permission": "written by migrate only",
}


@dataclass(frozen=True)
class Rules:
    # Columns whose values are never recorded: an entry says only that they changed.
    hidden: frozenset[str] = frozenset()
    # Bookkeeping columns: left out of entries, and a change of these alone is no event.
    ignored: frozenset[str] = frozenset()
    # A row with this column set is private to one person: every column is hidden.
    private_column: str = ""
    labels: tuple[str, ...] = field(default=())


HIDDEN_EVERYWHERE = frozenset({"password", "token_hash", "new_token_hash", "old_token_hash"})
IGNORED_EVERYWHERE = frozenset({"updated_at"})
CHECK_IN_ANSWERS = frozenset(
    {"energy", "workload", "boundaries", "connection", "blockers", "wins", "wants_one_on_one"}
)
RULES: dict[str, Rules] = {
    "accounts_user": Rules(ignored=frozenset({"last_login"})),
    "handoffs_apitoken": Rules(ignored=frozenset({"last_used_at"})),
    "otp_totp_totpdevice": Rules(
        hidden=frozenset({"key"}),
        ignored=frozenset(
            {
                "last_used_at",
                "last_t",
                "drift",
                "throttling_failure_timestamp",
                "throttling_failure_count",
            }
        ),
    ),
    "otp_static_staticdevice": Rules(
        ignored=frozenset(
            {"last_used_at", "throttling_failure_timestamp", "throttling_failure_count"}
        )
    ),
    "otp_static_statictoken": Rules(hidden=frozenset({"token"})),
    "health_checkin": Rules(hidden=CHECK_IN_ANSWERS),
    "health_oneonone": Rules(hidden=frozenset({"shared_notes"})),
    "health_oneononeprivatenote": Rules(hidden=frozenset({"body"})),
    # The scans touch last_seen of every open risk they find again.
    "health_risk": Rules(private_column="private_to_id", ignored=frozenset({"last_seen"})),
}
LABEL_COLUMNS = ("full_name", "name", "title", "deal_name", "email", "key", "subject_key")

# Tables of people administration: entries on them are for admins only.
PEOPLE_TABLES = frozenset(
    {
        "accounts_user",
        "accounts_user_groups",
        "accounts_user_user_permissions",
        "accounts_invitation",
        "accounts_emailchange",
        "auth_group",
        "auth_group_permissions",
        "otp_totp_totpdevice",
        "otp_static_staticdevice",
        "otp_static_statictoken",
        "handoffs_apitoken",
        # Its reason is private to the person, their manager and admins.
        "capacity_timeoff",
        "health_teammembership",
        "health_checkin",
        "health_oneonone",
        "health_oneononeprivatenote",
    }
)


@cache
def tenant_models() -> dict[str, type[models.Model]]:
    """Every model of the tenant apps by table (many-to-many tables included)."""
    found: dict[str, type[models.Model]] = {}
    for config in apps.get_app_configs():
        if config.name not in settings.TENANT_APPS:
            continue
        for model in config.get_models(include_auto_created=True):
            if not model._meta.managed or model._meta.proxy:
                continue
            found.setdefault(model._meta.db_table, model)
    return found


@cache
def audited_models() -> dict[str, type[models.Model]]:
    return {t: m for t, m in tenant_models().items() if t not in UNAUDITED}


@dataclass(frozen=True)
class TableAudit:
    """What the triggers of one table are told (their arguments)."""

    table: str
    hidden: tuple[str, ...]
    ignored: tuple[str, ...]
    labels: tuple[str, ...]
    private_column: str
    parent_column: str
    parent_table: str


# An object's history includes its children's changes: a follow-up's are in its
# engagement's history. The owner tables, nearest first.
HISTORY_OWNERS = ("engagements_engagement", "handoffs_handoffpacket", "engagements_client")


def table_audit(table: str, model: type[models.Model]) -> TableAudit:
    rules = RULES.get(table, Rules())
    columns = [str(f.column) for f in model._meta.concrete_fields]
    generated = {
        str(f.column) for f in model._meta.concrete_fields if isinstance(f, models.GeneratedField)
    }
    hidden = (rules.hidden | HIDDEN_EVERYWHERE) & set(columns)
    ignored = (rules.ignored | IGNORED_EVERYWHERE | generated) & set(columns)
    labels = tuple(c for c in (rules.labels or LABEL_COLUMNS) if c in columns and c not in hidden)
    parent_column = parent_table = ""
    for owner in HISTORY_OWNERS:
        if owner == table:
            break
        for f in model._meta.concrete_fields:
            related = f.related_model if f.is_relation else None
            if isinstance(related, type) and related._meta.db_table == owner:
                parent_column, parent_table = str(f.column), owner
                break
        if parent_column:
            break
    return TableAudit(
        table=table,
        hidden=tuple(sorted(hidden)),
        ignored=tuple(sorted(ignored)),
        labels=labels,
        private_column=rules.private_column,
        parent_column=parent_column,
        parent_table=parent_table,
    )


# The entries of one statement, from ``pairs`` (a JSON array of {"old": row, "new":
# row}, without the ignored columns). Written twice into the function: as static SQL,
# which PL/pgSQL plans once per table and session (the usual case: the table is in the
# schema the search path starts with), and as a dynamic statement for a write to
# another schema, such as a cloned tenant still being set up.
_ENTRIES_SQL = """
    INSERT INTO {target} (
        at, action, table_name, object_id, object_label, parent, changes, hidden,
        actor_kind, actor_id, actor_label, token_id, ip, user_agent, origin,
        transaction_id
    )
    SELECT
        now(), lower({op}), {table}, coalesce(coalesce(r.new, r.old) ->> 'id', ''),
        CASE WHEN p.private THEN '' ELSE coalesce((
            SELECT left(coalesce(r.new, r.old) ->> c.name, 200)
            FROM unnest({labels}) WITH ORDINALITY AS c(name, position)
            WHERE coalesce(coalesce(r.new, r.old) ->> c.name, '') <> ''
            ORDER BY c.position LIMIT 1
        ), '') END,
        CASE WHEN {parent_column} <> '' AND coalesce(r.new, r.old) ->> {parent_column} IS NOT NULL
             THEN {parent_table} || ':' || (coalesce(r.new, r.old) ->> {parent_column})
             ELSE '' END,
        CASE WHEN p.private THEN '{{}}'::jsonb ELSE d.changes END,
        CASE WHEN p.private THEN d.changed ELSE d.hidden END,
        coalesce({context} ->> 'kind', 'unattributed'),
        ({context} ->> 'user')::bigint,
        left(coalesce({context} ->> 'label', 'database role ' || session_user), 200),
        ({context} ->> 'token')::bigint,
        ({context} ->> 'ip')::inet,
        left(coalesce({context} ->> 'ua', ''), 300),
        left(coalesce({context} ->> 'origin', current_setting('application_name')), 300),
        txid_current()
    FROM (
        SELECT pair -> 'old' AS old, pair -> 'new' AS new FROM jsonb_array_elements({pairs}) pair
    ) r
    CROSS JOIN LATERAL (
        SELECT {private_column} <> ''
               AND (r.new ->> {private_column} IS NOT NULL
                    OR r.old ->> {private_column} IS NOT NULL) AS private
    ) p
    CROSS JOIN LATERAL (
        SELECT
            coalesce(jsonb_object_agg(k.key, jsonb_build_array(r.old -> k.key, r.new -> k.key))
                FILTER (WHERE NOT k.key = ANY({hidden})), '{{}}'::jsonb) AS changes,
            coalesce(array_agg(k.key ORDER BY k.key)
                FILTER (WHERE k.key = ANY({hidden})), '{{}}') AS hidden,
            coalesce(array_agg(k.key ORDER BY k.key), '{{}}') AS changed
        FROM jsonb_object_keys(coalesce(r.new, r.old)) AS k(key)
        WHERE k.key <> 'id'
          AND coalesce(r.old -> k.key, 'null') IS DISTINCT FROM coalesce(r.new -> k.key, 'null')
    ) d
    WHERE {op} <> 'UPDATE' OR cardinality(d.changed) > 0
"""
_STATIC = {
    "target": TABLE,
    "op": "TG_OP",
    "table": "TG_TABLE_NAME",
    "hidden": "arg_hidden",
    "labels": "arg_labels",
    "private_column": "arg_private_column",
    "parent_column": "arg_parent_column",
    "parent_table": "arg_parent_table",
    "context": "context",
    "pairs": "pairs",
}
_DYNAMIC = {
    "target": "%I." + TABLE,
    "op": "$1",
    "table": "$2",
    "hidden": "$3",
    "labels": "$4",
    "private_column": "$5",
    "parent_column": "$6",
    "parent_table": "$7",
    "context": "$8",
    "pairs": "$9",
}

# Only names from this module and the model registry go into the SQL text.
# A generic plan: the recording statement's plan does not depend on its values, and
# planning it again for every write was half the cost of recording a one-row write.
FUNCTION_SQL = rf"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $function$
DECLARE
    context jsonb := nullif(current_setting('psops.audit_context', true), '')::jsonb;
    -- TG_ARGV: hidden, ignored, label columns (text[] literals), private column,
    -- parent column, parent table.
    arg_hidden text[] := TG_ARGV[0]::text[];
    arg_ignored text[] := TG_ARGV[1]::text[];
    arg_labels text[] := TG_ARGV[2]::text[];
    arg_private_column text := TG_ARGV[3];
    arg_parent_column text := TG_ARGV[4];
    arg_parent_table text := TG_ARGV[5];
    pairs jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT jsonb_agg(jsonb_build_object('new', to_jsonb(n) - arg_ignored)) INTO pairs
        FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT jsonb_agg(jsonb_build_object('old', to_jsonb(o) - arg_ignored)) INTO pairs
        FROM old_rows o;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT jsonb_agg(jsonb_build_object('old', o.j, 'new', n.j)) INTO pairs
        FROM (SELECT to_jsonb(r) - arg_ignored AS j FROM old_rows r) o
        JOIN (SELECT to_jsonb(r) - arg_ignored AS j FROM new_rows r) n ON n.j -> 'id' = o.j -> 'id';
    ELSE
        pairs := '[{{}}]';  -- TRUNCATE: one entry for the statement
    END IF;
    IF pairs IS NULL THEN
        RETURN NULL;  -- a statement that touched no row
    END IF;
    IF TG_TABLE_SCHEMA = current_schema() THEN
{_ENTRIES_SQL.format(**_STATIC).rstrip()};
    ELSE
        EXECUTE format($insert$
{_ENTRIES_SQL.format(**_DYNAMIC).rstrip()}
        $insert$, TG_TABLE_SCHEMA)
        USING TG_OP, TG_TABLE_NAME, arg_hidden, arg_labels, arg_private_column,
              arg_parent_column, arg_parent_table, context, pairs;
    END IF;
    RETURN NULL;
END
$function$
"""  # noqa: S608

# Entries are written by the recording function alone and never changed; the retention
# cleanup alone may delete, by saying so in its own transaction (psops.audit.retention).
GUARD_SQL = f"""
CREATE OR REPLACE FUNCTION {GUARD}() RETURNS trigger LANGUAGE plpgsql AS $function$
BEGIN
    -- Rows come from the recording function only (a trigger below this one), so
    -- the application cannot write an entry of its own either.
    IF TG_OP = 'INSERT' AND pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('psops.audit_cleanup', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are written by the database and cannot be changed or deleted'
        USING ERRCODE = 'insufficient_privilege';
END
$function$
"""


def _literal_array(values: tuple[str, ...]) -> str:
    # Column names are identifiers from the model registry: no quotes or commas.
    return "{" + ",".join(values) + "}"


def _trigger_arguments(spec: TableAudit) -> str:
    arguments = [
        _literal_array(spec.hidden),
        _literal_array(spec.ignored),
        _literal_array(spec.labels),
        spec.private_column,
        spec.parent_column,
        spec.parent_table,
    ]
    return ", ".join("'" + a.replace("'", "''") + "'" for a in arguments)


def trigger_statements(spec: TableAudit) -> list[str]:
    arguments = _trigger_arguments(spec)
    table = f'"{spec.table}"'
    run = f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}({arguments})"
    return [
        f"CREATE OR REPLACE TRIGGER audit_insert AFTER INSERT ON {table}"
        f" REFERENCING NEW TABLE AS new_rows {run}",
        f"CREATE OR REPLACE TRIGGER audit_update AFTER UPDATE ON {table}"
        f" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}",
        f"CREATE OR REPLACE TRIGGER audit_delete AFTER DELETE ON {table}"
        f" REFERENCING OLD TABLE AS old_rows {run}",
        f"CREATE OR REPLACE TRIGGER audit_truncate AFTER TRUNCATE ON {table} {run}",
    ]


def audit_triggers_install(using: str = DEFAULT_DB_ALIAS) -> int:
    """(Re)create the recording function and every audited table's triggers in the
    current schema; how many tables. Idempotent, so it runs after every migrate and
    a change of ``RULES`` reaches existing schemas with the next one."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
        if not cursor.fetchone()[0]:
            return 0  # the public schema, or a tenant not migrated this far
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
            " AND relkind IN ('r', 'p')"
        )
        existing = {row[0] for row in cursor.fetchall()}
        cursor.execute(FUNCTION_SQL)
        cursor.execute(GUARD_SQL)
        cursor.execute(
            f"CREATE OR REPLACE TRIGGER {GUARD} BEFORE INSERT OR UPDATE OR DELETE ON {TABLE}"
            f" FOR EACH ROW EXECUTE FUNCTION {GUARD}()"
        )
        cursor.execute(
            f"CREATE OR REPLACE TRIGGER {GUARD}_truncate BEFORE TRUNCATE ON {TABLE}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}()"
        )
        installed = 0
        for table, model in sorted(audited_models().items()):
            if table not in existing:
                continue
            for statement in trigger_statements(table_audit(table, model)):
                cursor.execute(statement)
            installed += 1
    return installed

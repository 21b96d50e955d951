"""One row per changed object per write statement, written by the database itself.

Rows are inserted by the triggers of ``psops.audit.triggers`` and never by Python;
a trigger on this table refuses updates and deletes (``psops.audit.retention`` is
the one path that removes rows, past the tenant's retention period).
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class AuditAction(models.TextChoices):
    INSERT = "insert", "created"
    UPDATE = "update", "changed"
    DELETE = "delete", "deleted"
    TRUNCATE = "truncate", "emptied"


class ActorKind(models.TextChoices):
    USER = "user", "person"
    TOKEN = "token", "API token"
    JOB = "job", "system job"
    ANONYMOUS = "anonymous", "signed-out visitor"
    UNATTRIBUTED = "unattributed", "database"


class AuditEntry(models.Model):
    at = models.DateTimeField()
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    table_name = models.CharField(max_length=63)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    # "<table>:<id>" of the object whose history this row belongs to as well (a
    # follow-up's engagement), so an engagement's history includes its follow-ups.
    parent = models.CharField(max_length=100, blank=True)
    # {column: [before, after]}; values of hidden columns are never here.
    changes = models.JSONField(default=dict)
    # Columns that changed but whose values are not recorded (a password, a token's
    # hash, a private note's text, every column of a private risk).
    hidden = ArrayField(models.CharField(max_length=63), default=list)
    actor_kind = models.CharField(max_length=12, choices=ActorKind.choices)
    # No foreign keys: an entry outlives the person, and must not block their deletion.
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=200, blank=True)
    token_id = models.BigIntegerField(null=True)
    ip = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # "POST /settings/users/4/" or "task health.risks.scan_tenant 6f1c…" or a command.
    origin = models.CharField(max_length=300, blank=True)
    transaction_id = models.BigIntegerField()

    class Meta:
        db_table = "audit_entry"
        verbose_name_plural = "audit entries"
        indexes = [
            # Newest first is the page's only order; each filter has its own index
            # ending in id, so a filtered page is an index range, not a sort.
            models.Index(fields=["table_name", "object_id", "-id"], name="audit_object"),
            models.Index(fields=["parent", "-id"], name="audit_parent"),
            models.Index(fields=["actor_id", "-id"], name="audit_actor"),
            models.Index(fields=["table_name", "-id"], name="audit_table"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.table_name}:{self.object_id}"

"""1:1s and skip-levels: services (writes) and selectors (reads).

A 1:1 belongs to its two people, the manager who holds it and the report, and to
nobody else: not admins, not leaders, not the report's other managers. Every read
starts from ``one_on_ones_of(user)``, so a 1:1 that is not yours cannot be told
apart from one that does not exist. Private notes are read only through
``private_note_of(author=...)`` with the reader as author.

Who may start one: a person's manager (a 1:1), or their manager's manager (a
skip-level; the flag is set here, never chosen).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from health.models import OneOnOne, OneOnOnePrivateNote
from psops.accounts.models import User

NOT_YOUR_REPORT = (
    "You can start a 1:1 only with one of your direct reports, or a skip-level with one "
    "of their reports."
)


class Relation:
    """How the 1:1 list can be narrowed, from the reader's point of view."""

    ALL = ""
    AS_MANAGER = "manager"  # I hold it with a direct report
    AS_REPORT = "report"  # my manager holds it with me
    SKIP_LEVEL = "skip"  # a skip-level, either way round

    CHOICES = (
        (ALL, "All"),
        (AS_MANAGER, "With my reports"),
        (AS_REPORT, "With my manager"),
        (SKIP_LEVEL, "Skip-levels"),
    )


# --- Selectors -------------------------------------------------------------------------


def one_on_ones_of(user: User) -> QuerySet[OneOnOne]:
    """The 1:1s ``user`` is one of the two people of; there is no wider view for any role."""
    if not (user.is_authenticated and user.is_active):
        return OneOnOne.objects.none()
    return OneOnOne.objects.filter(Q(manager=user) | Q(report=user))


def _relation_filter(user: User, relation: str) -> Q:
    if relation == Relation.AS_MANAGER:
        return Q(manager=user, is_skip_level=False)
    if relation == Relation.AS_REPORT:
        return Q(report=user, is_skip_level=False)
    if relation == Relation.SKIP_LEVEL:
        return Q(is_skip_level=True)
    return Q()


def one_on_one_list(*, user: User, relation: str = Relation.ALL) -> QuerySet[OneOnOne]:
    """``user``'s 1:1s, newest first, without notes (lists never show note text)."""
    return (
        one_on_ones_of(user)
        .filter(_relation_filter(user, relation))
        .select_related("manager", "report")
        .defer("shared_notes")
        .order_by("-held_on", "-id")
    )


def one_on_one_counts(*, user: User) -> dict[str, int]:
    """How many 1:1s ``user`` has per ``Relation``, in one query."""
    return one_on_ones_of(user).aggregate(
        **{
            value or "all": Count("id", filter=_relation_filter(user, value))
            for value, _ in Relation.CHOICES
        }
    )


def one_on_one_get(*, user: User, one_on_one_id: int) -> OneOnOne:
    """The 1:1 if ``user`` is one of its two people; 404 otherwise, whoever asks."""
    return get_object_or_404(
        one_on_ones_of(user).select_related("manager", "report"), pk=one_on_one_id
    )


def private_note_of(*, one_on_one: OneOnOne, author: User) -> OneOnOnePrivateNote | None:
    """``author``'s own private note on the 1:1; nobody can ask for someone else's."""
    return OneOnOnePrivateNote.objects.filter(one_on_one=one_on_one, author=author).first()


def one_on_one_candidates(*, manager: User) -> QuerySet[User]:
    """Active people ``manager`` may start a 1:1 with: direct and skip-level reports."""
    return (
        User.objects.filter(Q(manager=manager) | Q(manager__manager=manager), is_active=True)
        .exclude(pk=manager.pk)
        .select_related("manager")
        .order_by("full_name", "email")
    )


# --- Services --------------------------------------------------------------------------


def one_on_one_create(
    *, manager: User, report: User, held_on: date, shared_notes: str = ""
) -> OneOnOne:
    """Start a 1:1 between ``manager`` and ``report``.

    ``report`` must be ``manager``'s direct report (a 1:1) or a report of one of
    ``manager``'s direct reports (a skip-level); anyone else is refused with
    ``ValidationError``.
    """
    report = User.objects.select_related("manager").get(pk=report.pk)
    if report.pk == manager.pk or not report.is_active:
        raise ValidationError({"report": NOT_YOUR_REPORT})
    if report.manager_id == manager.pk:
        is_skip_level = False
    elif report.manager is not None and report.manager.manager_id == manager.pk:
        is_skip_level = True
    else:
        raise ValidationError({"report": NOT_YOUR_REPORT})
    one_on_one = OneOnOne(
        manager=manager,
        report=report,
        is_skip_level=is_skip_level,
        held_on=held_on,
        shared_notes=shared_notes.strip(),
    )
    one_on_one.full_clean()
    one_on_one.save()
    return one_on_one


def _require_participant(one_on_one: OneOnOne, user: User) -> None:
    if user.pk not in (one_on_one.manager_id, one_on_one.report_id):
        # Views never get here (they read through one_on_ones_of); this guards callers
        # that might.
        raise PermissionError("Only the two people of a 1:1 may write its notes.")


class SharedNotesConflict(Exception):
    """The other person saved the shared notes after this editor opened them."""

    def __init__(self, *, current: OneOnOne):
        super().__init__("The shared notes changed since they were opened.")
        self.current = current


def version_of(one_on_one: OneOnOne) -> str:
    """A token for what an editor saw; it changes whenever the 1:1 is saved."""
    return one_on_one.updated_at.isoformat()


def one_on_one_update_shared(
    *,
    one_on_one: OneOnOne,
    by: User,
    held_on: date,
    shared_notes: str,
    seen_version: str | None = None,
) -> OneOnOne:
    """Save the date and the shared notes, which either of the two people may edit.

    Both may have the page open during the meeting. With ``seen_version`` (from
    ``version_of`` when the form was shown) a save over the other person's newer
    changes raises ``SharedNotesConflict`` instead of silently dropping them.
    """
    _require_participant(one_on_one, by)
    with transaction.atomic():
        current = OneOnOne.objects.select_for_update().get(pk=one_on_one.pk)
        if seen_version is not None and seen_version != version_of(current):
            raise SharedNotesConflict(current=current)
        current.held_on = held_on
        current.shared_notes = shared_notes.strip()
        current.full_clean()
        current.save(update_fields=["held_on", "shared_notes", "updated_at"])
    one_on_one.held_on = current.held_on
    one_on_one.shared_notes = current.shared_notes
    one_on_one.updated_at = current.updated_at
    return one_on_one


def private_note_save(
    *, one_on_one: OneOnOne, author: User, body: str
) -> OneOnOnePrivateNote | None:
    """Write ``author``'s private note on the 1:1; an empty body deletes it (returns None)."""
    _require_participant(one_on_one, author)
    body = body.strip()
    with transaction.atomic():
        if not body:
            OneOnOnePrivateNote.objects.filter(one_on_one=one_on_one, author=author).delete()
            return None
        note, _ = OneOnOnePrivateNote.objects.update_or_create(
            one_on_one=one_on_one, author=author, defaults={"body": body}
        )
    return note

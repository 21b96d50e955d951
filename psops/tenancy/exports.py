"""An organization's data leaves PS Ops only whole, and is deleted only after an export.

Business history (engagements and their timeline, handoff packets, reviews and their
events, check-ins, 1:1s) is deleted from no page, no API and no admin: engagements
are closed, never removed. Removing an organization is an operator's decision, made
on the command line in two steps:

1. ``manage.py export_org <slug> <file>`` writes every table of the organization's
   schema as JSON (Django's serializer, so it works on any PostgreSQL, the embedded
   one included, without ``pg_dump``), with a count per table.
2. ``manage.py delete_org <slug> --export-file <file>`` refuses unless that file is
   an export of this very organization whose counts still match its tables (nothing
   was written since), then drops the schema and removes the organization and its
   domains, in one transaction.

Sessions are not exported: they are live sign-in credentials and mean nothing once
the organization is gone.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from psops.tenancy.models import Organization
from psops.tenancy.template import TEMPLATE_SCHEMA

EXPORT_FORMAT = "psops-organization-export"
EXPORT_VERSION = 1
# Live credentials, not records (see the module docstring).
NOT_EXPORTED: frozenset[type[models.Model]] = frozenset({Session})


def organization_tables() -> list[type[models.Model]]:
    """Every model whose table is in an organization's schema, in a stable order."""
    tenant_app_names = set(settings.TENANT_APPS)
    found = [
        model
        for config in apps.get_app_configs()
        if config.name in tenant_app_names
        for model in config.get_models()
        if model._meta.managed and not model._meta.proxy and model not in NOT_EXPORTED
    ]
    return sorted(found, key=lambda model: model._meta.label_lower)


def _counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count() for model in organization_tables()
    }


def _objects() -> Iterator[dict[str, Any]]:
    serializer = serializers.get_serializer("python")()
    for model in organization_tables():
        yield from serializer.serialize(model._default_manager.order_by("pk").iterator())


def organization_export(*, organization: Organization, path: Path) -> dict[str, int]:
    """Write ``organization``'s whole schema to ``path`` as JSON; return the rows per table."""
    _refuse_platform_schemas(organization)
    # Run it while the organization is not in use: delete_org compares the counts and
    # the rows written here with the tables as they are then.
    with schema_context(organization.schema_name):
        counts = _counts()
        header = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "organization": {
                "slug": organization.slug,
                "name": organization.name,
                "schema_name": organization.schema_name,
                "domains": list(organization.domains.values_list("domain", flat=True)),
            },
            "exported_at": timezone.now(),
            "tables": counts,
        }
        with path.open("w", encoding="utf-8") as out:
            out.write(json.dumps(header, cls=DjangoJSONEncoder)[:-1])
            out.write(', "objects": [')
            for number, obj in enumerate(_objects()):
                out.write(("," if number else "") + "\n")
                out.write(json.dumps(obj, cls=DjangoJSONEncoder))
            out.write("\n]}\n")
    return counts


def organization_export_check(*, organization: Organization, path: Path) -> None:
    """Raise ``ValidationError`` unless ``path`` is a current export of ``organization``."""
    if not path.is_file():
        raise ValidationError(f"There is no export file at {path}.")
    try:
        with path.open(encoding="utf-8") as stream:
            export = json.load(stream)
    except (OSError, ValueError) as error:
        raise ValidationError(f"{path} is not a PS Ops organization export.") from error
    if not isinstance(export, dict) or export.get("format") != EXPORT_FORMAT:
        raise ValidationError(f"{path} is not a PS Ops organization export.")
    exported = export.get("organization") or {}
    if (exported.get("slug"), exported.get("schema_name")) != (
        organization.slug,
        organization.schema_name,
    ):
        raise ValidationError(
            f"{path} is an export of {exported.get('slug')!r}, not of {organization.slug!r}."
        )
    with schema_context(organization.schema_name):
        current = _counts()
    if export.get("tables") != current:
        changed = sorted(
            label
            for label in set(current) | set(export.get("tables") or {})
            if (export.get("tables") or {}).get(label) != current.get(label)
        )
        raise ValidationError(
            f"{path} no longer matches {organization.slug}'s data (changed since: "
            f"{', '.join(changed)}). Export again."
        )
    if len(export.get("objects") or []) != sum(current.values()):
        raise ValidationError(f"{path} is incomplete: export again.")


def organization_delete(*, organization: Organization, export_path: Path) -> None:
    """Drop ``organization``'s schema and remove it and its domains, once exported."""
    _refuse_platform_schemas(organization)
    organization_export_check(organization=organization, path=export_path)
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants'
    with transaction.atomic():
        # Deferred foreign-key checks of rows written earlier in an enclosing transaction
        # would block DROP SCHEMA ("pending trigger events"): run them now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        organization.delete(force_drop=True)


def _refuse_platform_schemas(organization: Organization) -> None:
    if organization.is_public or organization.schema_name in ("public", TEMPLATE_SCHEMA):
        raise ValidationError("The public schema and the template are not an organization's data.")

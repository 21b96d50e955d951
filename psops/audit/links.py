"""Where an audited object's own page is: filled by the app that owns the page, since
this layer names no feature above it (``AppConfig.ready``)."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class ObjectPage:
    url_name: str
    kwarg: str


OBJECT_PAGES: dict[str, ObjectPage] = {}


def audit_object_page_register(*, table: str, url_name: str, kwarg: str) -> None:
    OBJECT_PAGES[table] = ObjectPage(url_name=url_name, kwarg=kwarg)


def object_url(table: str, object_id: str) -> str:
    page = OBJECT_PAGES.get(table)
    if page is None or not object_id.isdigit():
        return ""
    try:
        return reverse(page.url_name, kwargs={page.kwarg: int(object_id)})
    except NoReverseMatch:
        return ""

"""What a browser would post: a page's form as rendered, and the review form's fields."""

from html.parser import HTMLParser

from handoffs.models import CHECKLIST, HandoffPacket, Verdict

FULL_MARKS = dict.fromkeys((name for name, _ in CHECKLIST), 2)


class _Forms(HTMLParser):
    """Collects each <form>'s action and the values a browser would submit from it."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str | None, dict[str, str]]] = []
        self._textarea: list[str] | None = None
        self._select: dict | None = None

    def _fields(self) -> dict[str, str]:
        return self.forms[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form":
            self.forms.append((attributes.get("action"), {}))
        elif not self.forms:
            return
        elif tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self._fields()[name] = attributes.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            value = attributes.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attributes:
                self._select["selected"] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # Browsers drop the newline Django puts right after <textarea>.
            self._fields()[name] = text[1:] if text.startswith("\n") else text
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["selected"]
            self._fields()[self._select["name"]] = (
                chosen if chosen is not None else self._select["first"] or ""
            )
            self._select = None


def form_values(response, *, action: str | None = None) -> dict[str, str]:
    """The values of the page's form posting to ``action`` (None: the form without an
    action, which posts to the page itself), as a browser would send them unchanged."""
    assert response.status_code == 200, response.status_code
    parser = _Forms()
    parser.feed(response.content.decode())
    matches = [fields for form_action, fields in parser.forms if form_action == action]
    assert len(matches) == 1, f"{len(matches)} forms posting to {action!r}"
    return dict(matches[0])


def review_data(
    packet: HandoffPacket,
    *,
    decision: str,
    verdicts: dict | None = None,
    scores: dict | None = None,
    lead=None,
    comments: str = "",
) -> dict[str, str]:
    """The review form filled in: every item "in scope" unless ``verdicts`` maps the
    item to ``(verdict, note)``; full marks unless ``scores`` says otherwise."""
    verdicts = verdicts or {}
    data = {
        "decision": decision,
        "comments": comments,
        "lead": str(lead.pk) if lead else "",
        **{name: str(score) for name, score in (FULL_MARKS | (scores or {})).items()},
    }
    for item in packet.items.all():
        verdict, note = verdicts.get(item, (Verdict.IN_SCOPE, ""))
        data[f"verdict_{item.pk}"] = verdict
        data[f"note_{item.pk}"] = note
    return data

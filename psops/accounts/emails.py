"""One spelling of an email address, used wherever one is stored, matched or counted.

Sign-in, the sign-in throttle, invitations, password resets and the CRM API all
pass addresses through ``email_normalize`` before they store or compare them. If
each entry point lowered case (or stripped spaces) its own way, ``Ann@Acme.test``
and ``ann@acme.test`` could be two throttling counters, or an invitation to one
could miss the account of the other.

Normalising means: surrounding white space removed, Unicode NFKC (so that
look-alike compatibility forms such as full-width letters become the plain
letters they stand for), and lower case for the whole address. Lowering the local
part is stricter than RFC 5321 allows in theory; in practice no mail provider
treats case as significant, and accounts are already unique on ``Lower(email)``.
"""

import unicodedata


def email_normalize(value: str | None) -> str:
    """The canonical form of an email address ("" for None)."""
    if not value:
        return ""
    return unicodedata.normalize("NFKC", value).strip().lower()

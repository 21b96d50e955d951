"""Who a failed sign-in is counted against: the account, and the client's own address.

django-axes keeps the counters (in each tenant's schema). Two separate limits apply
(``AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]``):

- per account: failures for one address from anywhere, so guessing one person's
  password from many machines, or under many spellings of the address, is stopped
  (the address is normalised first, ``axes_username``);
- per client: failures from one client address for any accounts, so spraying one
  common password across every account is stopped.

Behind a reverse proxy every request comes from the proxy's address, and a
per-client limit would then lock everyone out together. ``client_ip`` reads the
real address from ``X-Forwarded-For``, trusting exactly ``TRUSTED_PROXY_COUNT``
proxies: each proxy appends the address it received the request from, so the
entry that many places from the right was written by our outermost proxy and is
the real client; anything to its left came from the client and may be forged.
With no trusted proxy (the default) the header is ignored altogether.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

from psops.accounts.emails import email_normalize


def axes_username(request: HttpRequest | None, credentials: dict | None = None) -> str:
    """AXES_USERNAME_CALLABLE: count failures per normalised address, not per spelling."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and credentials.get(field):
        return email_normalize(credentials[field])
    if request is not None:
        return email_normalize(request.POST.get(field, ""))
    return ""


def _valid_address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client's address as our trusted proxies saw it."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
        ]
        if len(forwarded) >= proxies:
            address = _valid_address(forwarded[-proxies])
            if address:
                return address
    return _valid_address(remote) or remote or None

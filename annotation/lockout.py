"""Login lockouts (django-axes) by the real client address, with two limits.

Behind the TLS proxy the client's address is the one the proxy appended to
X-Forwarded-For: a client can write anything before it, never after it. A forged header
therefore changes nothing but the part nobody reads, and failures never count against
the proxy's own address, which every user shares.

- AXES_FAILURE_LIMIT failures of one username from one address lock that pair: someone
  guessing one person's password is stopped, and that person can still log in from
  anywhere else.
- SOULEVAL_LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the
  usernames, lock the address: one password tried on many accounts (spraying) is
  stopped as well. The limit is higher, since colleagues may share an address.

A successful login clears only its own pair's failures, so an attacker's own account
cannot wipe the count of their address.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from python_ipware import IpWare


def login_client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address of the client, as the proxy saw it when
    SOULEVAL_PROXY_HOPS proxies stand in front (DJANGO_BEHIND_TLS_PROXY), else the peer."""
    hops = settings.SOULEVAL_PROXY_HOPS
    if hops:
        # proxy_count counts the proxies whose own addresses are in the header: all but
        # the one nearest to us, which is REMOTE_ADDR. Not strict: a longer chain (the
        # client's own proxies, or forged entries) is normal, and only its tail is ours.
        # (django-ipware's get_client_ip is strict, so a forged entry would send the
        # request to REMOTE_ADDR, the proxy that every user shares.)
        ipware = IpWare(precedence=("HTTP_X_FORWARDED_FOR",), proxy_count=hops - 1)
        address, _ = ipware.get_client_ip(request.META, strict=False)
        if address is not None:
            return str(address)
    return request.META.get("REMOTE_ADDR")


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class PairAndAddressLockout(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler, with the address's own, higher limit.

    Axes compares one count with AXES_FAILURE_LIMIT; this count is the pair's failures,
    or that limit itself once the address alone has reached its higher limit. Failures are
    recorded, and cleared on success, per (username, address) as AXES_LOCKOUT_PARAMETERS
    says."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        recent = AccessAttempt.objects.filter(
            # Set on every request by axes's middleware, which runs before any login.
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
            attempt_time__gte=get_cool_off_threshold(request),
        )
        pair = _failures(recent.filter(username=get_client_username(request, credentials)))
        if _failures(recent) >= settings.SOULEVAL_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair

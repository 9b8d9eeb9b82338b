"""Login lockout: repeated failures for one user name or from one address lock login.

Every attempt takes a slot from two counters (its user name, and its address) before the password
is checked, with one conditional UPDATE each; the attempt goes on only if both had a slot left. So
six attempts arriving at the same moment get exactly five slots, where a count read first and
written after the password check let them all through. A success empties both counters; a counter
quiet for the whole lockout window starts again from zero.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from org.models import LoginAttempt, LoginThrottle

# An address trying many names gets a wider allowance before it is stopped.
ADDRESS_FACTOR = 4

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.DIAODU_TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, as the lockout counts it.

    X-Forwarded-For is written by whoever sends the request, so it is read only when the request
    comes from one of ``DIAODU_TRUSTED_PROXIES`` (addresses or networks). Each proxy appends the
    address it saw, so the right-most entry that is not itself a trusted proxy is the client; any
    entry left of it may be made up by the client.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not _is_trusted_proxy(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for entry in reversed([part for part in forwarded if part]):
        if _is_trusted_proxy(entry):
            continue
        try:
            return str(ipaddress.ip_address(entry))
        except ValueError:
            return remote  # not an address: the proxy's own is all that can be trusted
    return remote


def _keys(username: str, ip: str | None) -> list[tuple[str, int]]:
    """The counters an attempt counts against, with their limits."""
    limit = settings.LOGIN_MAX_FAILURES
    keys = [(f"user:{username.strip().lower()}"[:200], limit)]
    if ip is not None:
        keys.append((f"ip:{ip}", limit * ADDRESS_FACTOR))
    return keys


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def _take_slot(key: str, limit: int, now: dt.datetime) -> bool:
    counter = LoginThrottle.objects.filter(key=key)
    for _try in range(2):  # a second time only if a prune removed the row under us
        LoginThrottle.objects.get_or_create(key=key, defaults={"last_at": now})
        # Quiet for a whole window: start again. The condition makes a second reset a no-op once
        # the first attempt after it has counted itself (last_at moved on).
        counter.filter(last_at__lt=now - _window()).update(failures=0)
        # The check and the count in one statement: the database serialises it per row.
        if counter.filter(failures__lt=limit).update(failures=F("failures") + 1, last_at=now):
            return True
        if counter.exists():
            return False
    return False


def login_attempt_begin(username: str, ip: str | None) -> bool:
    """Count an attempt before its password is checked; False when the user name or address is locked.

    The attempt counts as a failure until ``login_attempt_record`` says it succeeded.
    """
    now = timezone.now()
    # The name first: an attempt on a locked name stops there and costs its address nothing.
    return all(_take_slot(key, limit, now) for key, limit in _keys(username, ip))


def login_attempt_record(*, username: str, ip: str | None, succeeded: bool) -> None:
    LoginAttempt.objects.create(username=username.strip().lower()[:150], ip=ip, succeeded=succeeded)
    if succeeded:
        LoginThrottle.objects.filter(key__in=[key for key, _limit in _keys(username, ip)]).update(failures=0)
    login_attempts_prune()


def login_attempts_prune() -> None:
    """Remove what the lockout no longer needs: attempts and quiet counters older than the window."""
    cutoff = timezone.now() - _window()
    LoginAttempt.objects.filter(at__lt=cutoff).delete()
    LoginThrottle.objects.filter(last_at__lt=cutoff).delete()

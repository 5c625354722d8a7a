"""Sign-in throttling beside the per-account lockout (django-axes, GVI_LOCKOUT_FAILURES):

- a per-address throttle: one address with more than GVI_ADDRESS_FAILURES failed sign-ins (any accounts)
  within the cool-off is refused for the cool-off, so one machine cannot lock account after account;
  the limit is high, as partner agencies sit behind shared NAT gateways;
- a progressive delay per account: after the first failure each further attempt must wait twice as long
  as the one before (GVI_LOGIN_DELAY_SECONDS, doubling, at most 60 s); an attempt made too early is refused
  without counting as a failure, so the hard lock is reached slowly and a guessing run costs minutes;
- the unlock: an administrator's (logged) or the user's own, by a one-time link sent to the account's
  e-mail address.

Counters live in the shared cache (the database cache or Redis), so every web process sees the same.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

MAX_DELAY_SECONDS = 60


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _address_key(request) -> str:
    return f"gvi:signin:addr:{_address(request)}"


def _account_key(username: str) -> str:
    return f"gvi:signin:acct:{username.lower()[:150]}"


def _window() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def address_blocked(request) -> bool:
    return cache.get(_address_key(request), 0) >= settings.GVI_ADDRESS_FAILURES


def seconds_to_wait(username: str) -> int:
    """How long this account's next attempt must still wait (0: it may try now)."""
    if not username or settings.GVI_LOGIN_DELAY_SECONDS <= 0:
        return 0
    state = cache.get(_account_key(username))
    if not state:
        return 0
    failures, last = state
    if failures < 1:
        return 0
    delay = min(settings.GVI_LOGIN_DELAY_SECONDS * 2 ** (failures - 1), MAX_DELAY_SECONDS)
    remaining = last + delay - timezone.now().timestamp()
    return max(0, int(remaining + 0.999))


def record_failure(request, username: str) -> None:
    key = _address_key(request)
    cache.add(key, 0, _window())
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, _window())
    if username:
        failures, _last = cache.get(_account_key(username)) or (0, 0)
        cache.set(_account_key(username), (failures + 1, timezone.now().timestamp()), _window())


def clear_account(username: str) -> None:
    """Lift the lock and the delay on one account (an administrator's unlock, the user's unlock link, or a
    complete sign-in)."""
    AxesProxyHandler.reset_attempts(username=username)
    cache.delete(_account_key(username))

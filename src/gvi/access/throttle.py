"""Sign-in throttling beside the per-account lockout (django-axes)."""

from axes.handlers.proxy import AxesProxyHandler


def clear_account(username: str) -> None:
    """Lift the lock on one account (an administrator's unlock or the user's unlock link)."""
    AxesProxyHandler.reset_attempts(username=username)

"""`gvi api-token issue|list|revoke`: API keys from the shell, recording the operator's words (--by)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gvi.access import services
from gvi.access.models import ApiToken
from gvi.access.scopes import SCOPES


class Command(BaseCommand):
    help = (
        "API keys: issue one for a user (printed once), list them, or revoke one. Issue and revoke are "
        "written to the access log with --by (who you are and why). Scopes: " + ", ".join(SCOPES)
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        issue = actions.add_parser("issue", help="Issue a key for a user; the key is printed once.")
        issue.add_argument("--user", required=True, help="username the key acts as")
        issue.add_argument("--name", required=True, help="which system uses the key")
        issue.add_argument(
            "--scope", action="append", required=True, choices=list(SCOPES), help="repeat for several"
        )
        issue.add_argument(
            "--days",
            type=int,
            default=None,
            help="lifetime in days (default and maximum: GVI_API_TOKEN_MAX_DAYS)",
        )
        issue.add_argument("--by", required=True, help='who issues it and why, e.g. "Eva Ek, incident push"')
        listing = actions.add_parser("list", help="List keys (all users, or one).")
        listing.add_argument("--user", help="only this username's keys")
        listing.add_argument("--all", action="store_true", help="include revoked and expired keys")
        revoke = actions.add_parser("revoke", help="Revoke a key by its id (see list).")
        revoke.add_argument("--id", type=int, required=True)
        revoke.add_argument("--by", required=True, help='who revokes it and why, e.g. "Eva Ek, leaked"')

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"])(options)
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None

    def _issue(self, options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        days = options["days"] if options["days"] is not None else settings.GVI_API_TOKEN_MAX_DAYS
        if days < 1:
            raise CommandError("--days must be at least 1.")
        token, raw = services.create_api_token(
            user,
            options["name"],
            expires_at=timezone.now() + timedelta(days=days),
            scopes=options["scope"],
            actor=services.Operator(options["by"]),
        )
        self.stdout.write(f"Key {token.pk} for {user.username}, expires {_when(token.expires_at)}.")
        self.stdout.write("Shown once; only its hash is kept:")
        self.stdout.write(raw)

    def _list(self, options):
        tokens = ApiToken.objects.select_related("user", "revoked_by").order_by("user__username", "-pk")
        if options["user"]:
            tokens = tokens.filter(user__username=options["user"])
        if not options["all"]:
            tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
        for token in tokens:
            if token.is_revoked:
                status = f"revoked {_when(token.revoked_at)} by {token.revoked_by_name}"
            elif token.is_expired:
                status = "expired"
            else:
                status = "valid"
            self.stdout.write(
                f"{token.pk}\t{token.user.username}\t{token.name}\t{','.join(token.scopes)}\t"
                f"created {_when(token.created_at)}\texpires {_when(token.expires_at)}\t"
                f"last used {_when(token.last_used_at)}\t{status}"
            )
        if not tokens:
            self.stdout.write("No keys.")

    def _revoke(self, options):
        token = ApiToken.objects.filter(pk=options["id"]).first()
        if token is None:
            raise CommandError(f"No key {options['id']}.")
        services.revoke_api_token(services.Operator(options["by"]), token)
        self.stdout.write(f"Key {token.pk} ({token.name}, {token.user.username}) is revoked.")


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "never"

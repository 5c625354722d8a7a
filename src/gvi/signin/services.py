"""Writes of a sign-in through an IdP: the local user, and the memberships the IdP's claims map to."""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gvi.access.models import AccessLog
from gvi.access.services import log_idp_membership
from gvi.partnership.models import Membership, Organisation, Site
from gvi.signin.config import Provider
from gvi.signin.models import ExternalIdentity, IdPAssurance

logger = logging.getLogger("gvi.signin")


class MissingClaims(Exception):
    """The token lacks the claim that identifies the user."""


def _organisation(provider: Provider) -> Organisation | None:
    return Organisation.objects.filter(
        Q(name=provider.organisation) | Q(short_name=provider.organisation)
    ).first()


def _new_user(provider: Provider, subject: str, claims: dict):
    user = get_user_model()(
        username=f"{provider.key}:{subject}"[:150],
        email=str(claims.get("email", ""))[:254],
        first_name=str(claims.get("given_name", ""))[:150],
        last_name=str(claims.get("family_name", ""))[:150],
    )
    user.set_unusable_password()  # signs in through the IdP only
    user.save()
    return user


def _sync_memberships(identity: ExternalIdentity, provider: Provider, claims: dict) -> None:
    organisation = _organisation(provider)
    wanted = set()
    if organisation is None:
        logger.error(
            "IdP %s: organisation %r is not in GVI; no memberships mapped",
            provider.key,
            provider.organisation,
        )
    else:
        for role, site_slug in provider.mapped_roles(claims):
            site = Site.objects.filter(slug=site_slug).first() if site_slug else None
            if site_slug and site is None:
                logger.error("IdP %s: site %r in the role map is not in GVI", provider.key, site_slug)
                continue
            # The IdP's configuration (by the organisation's own IT, mapping its claims to roles) counts as
            # the second person's approval that a membership reading person data needs otherwise.
            membership, created = Membership.objects.get_or_create(
                user=identity.user,
                organisation=organisation,
                site=site,
                role=role,
                defaults={"approved_at": timezone.now()},
            )
            if created:
                identity.memberships.add(membership)
                log_idp_membership(identity.user, membership, AccessLog.Action.APPROVE, provider.key)
            elif membership in identity.memberships.all() and not (
                membership.is_active and membership.approved_at
            ):
                membership.is_active = True
                membership.approved_at = membership.approved_at or timezone.now()
                membership.save(update_fields=["is_active", "approved_at"])
                log_idp_membership(identity.user, membership, AccessLog.Action.APPROVE, provider.key)
            wanted.add(membership.pk)
    # Memberships this IdP gave that its claims no longer give end now (deactivation at the IdP).
    for membership in identity.memberships.exclude(pk__in=wanted).filter(is_active=True):
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        log_idp_membership(identity.user, membership, AccessLog.Action.END, provider.key)


@transaction.atomic
def sign_in(provider: Provider, claims: dict):
    """The local user for these (validated) claims, created on first sign-in, with memberships synced to
    the claims. Returns the user; the caller decides whether they may enter (an active membership)."""
    subject = claims.get(provider.user_id_claim)
    if not subject or not isinstance(subject, str):
        raise MissingClaims(provider.user_id_claim)
    identity = (
        ExternalIdentity.objects.select_for_update().filter(provider=provider.key, subject=subject).first()
    )
    if identity is None:
        identity = ExternalIdentity.objects.create(
            provider=provider.key, subject=subject, user=_new_user(provider, subject, claims)
        )
    _sync_memberships(identity, provider, claims)
    identity.last_sign_in_at = timezone.now()
    identity.save(update_fields=["last_sign_in_at"])
    return identity.user


def assurance_device(user, provider: Provider) -> IdPAssurance:
    device, _ = IdPAssurance.objects.get_or_create(
        user=user, provider=provider.key, defaults={"name": f"IdP {provider.label}"[:64], "confirmed": True}
    )
    return device

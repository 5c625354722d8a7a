"""The Django admin, kept for the partnership set-up only: sites and organisations. No person data is
registered here, and no account: users, memberships, second factors and unlocks live in the product's own
administration (gvi.access.account_views), where every action is logged and grants need approval.

Entry is by role, not by Django's is_staff / is_superuser flags or raw permissions: an active, approved
administrator membership and the second factor. Nothing here offers those flags.
"""

from django.contrib import admin

from gvi.partnership.models import Organisation, Role, Site


def is_administrator(request) -> bool:
    from gvi.access.decorators import user_roles

    user = request.user
    return bool(user.is_active and user.is_authenticated and Role.ADMINISTRATOR in user_roles(user))


def _has_permission(request) -> bool:
    from django.conf import settings

    verified = not settings.GVI_REQUIRE_SECOND_FACTOR or request.user.is_verified()
    return is_administrator(request) and verified


admin.site.has_permission = _has_permission


class ByRoleAdmin(admin.ModelAdmin):
    """Model pages open to administrators (by role); nothing is ever deleted from here."""

    def has_module_permission(self, request):
        return _has_permission(request)

    def has_view_permission(self, request, obj=None):
        return _has_permission(request)

    def has_add_permission(self, request):
        return _has_permission(request)

    def has_change_permission(self, request, obj=None):
        return _has_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Site)
class SiteAdmin(ByRoleAdmin):
    list_display = ["name", "municipality", "gvi_start_date", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Organisation)
class OrganisationAdmin(ByRoleAdmin):
    list_display = ["name", "short_name", "type"]
    list_filter = ["type"]
    search_fields = ["name", "short_name"]


# Accounts, groups of raw permissions, second-factor devices (and their secrets), sign-in attempts and tasks
# are not administered here: only what this module registers stays (the apps before it have registered).
for model in list(admin.site._registry):
    if model not in (Site, Organisation):
        admin.site.unregister(model)

"""Operator administration: users, sites, organisations, memberships. No person data is registered here."""

from django.contrib import admin

from gvi.partnership.models import Membership, Organisation, Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "gvi_start_date", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "type"]
    list_filter = ["type"]
    search_fields = ["name", "short_name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "site", "role", "is_active"]
    list_filter = ["role", "site", "is_active"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["organisation"]

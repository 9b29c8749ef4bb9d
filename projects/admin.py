"""The admin, for staff (reached through the site login, so TOTP applies)."""

from django.contrib import admin

from projects.models import City, CityOfficial, Membership, Neighbourhood, Project


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "population"]
    list_filter = ["country"]
    search_fields = ["name", "slug"]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "population", "mean_income", "synthetic"]
    list_filter = ["city", "synthetic"]
    search_fields = ["code", "name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    # Age bands are anonymous answers; staff have no need to see them per member.
    exclude = ["age_band"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "moderation", "status", "primary_theme", "demo"]
    list_filter = ["moderation", "status", "primary_theme", "demo"]
    search_fields = ["title", "slug"]
    filter_horizontal = ["cities"]
    inlines = [MembershipInline]


@admin.register(CityOfficial)
class CityOfficialAdmin(admin.ModelAdmin):
    list_display = ["user", "city"]
    autocomplete_fields = ["user", "city"]

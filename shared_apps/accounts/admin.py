from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from shared_apps.accounts.models import HospitalMembership, Patient, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name", "phone_number", "role"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "name", "role", "password1", "password2"]})]
    filter_horizontal: list = []

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: tenant rows point at users


@admin.register(HospitalMembership)
class HospitalMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "hospital", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user", "hospital"]
    raw_id_fields = ["user", "hospital"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    raw_id_fields = ["user"]
    search_fields = ["user__email", "user__name"]

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from shared_apps.accounts.models import HospitalMembership, Patient, User
from shared_apps.accounts.services import user_set_active


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
    # Deactivation ends the user's sign-ins (user_set_active): only the actions below change it.
    readonly_fields = ["is_active"]
    actions = ["deactivate_selected", "reactivate_selected"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: tenant rows point at users

    @admin.action(description="Deactivate selected users (ends their sign-ins)")
    def deactivate_selected(self, request, queryset):
        for user in queryset:
            user_set_active(actor=request.user, user=user, active=False)
        self.message_user(request, "Deactivated; their tokens and sessions have ended.", messages.SUCCESS)

    @admin.action(description="Reactivate selected users")
    def reactivate_selected(self, request, queryset):
        for user in queryset:
            user_set_active(actor=request.user, user=user, active=True)
        self.message_user(request, "Reactivated.", messages.SUCCESS)


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

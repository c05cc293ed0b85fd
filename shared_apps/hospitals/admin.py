"""The superadmin's side: hospitals by status, logo preview, Approve and Reject (with a reason)."""

from django.contrib import admin, messages
from django.shortcuts import render
from django.utils.html import format_html

from shared_apps.common.errors import ApplicationError
from shared_apps.hospitals.forms import RejectForm
from shared_apps.hospitals.models import Domain, Hospital
from shared_apps.hospitals.services import (
    PROFILE_FIELDS,
    hospital_approve,
    hospital_reject,
    hospital_set_active,
    hospital_update_profile,
)


@admin.register(Hospital)
class HospitalAdmin(admin.ModelAdmin):
    list_display = ["logo_preview", "name", "city", "status", "slug", "email", "created_at"]
    list_display_links = ["name"]
    list_filter = ["status", "city", "is_active"]
    search_fields = ["name", "registration_number", "email", "slug"]
    ordering = ["status", "-created_at"]
    actions = ["approve_selected", "reject_selected", "deactivate_selected", "reactivate_selected"]
    # Profile fields are saved by hospital_update_profile (save_model). The email is the hospital admin's sign-in
    # and the registration number was checked for uniqueness at registration: neither is edited here.
    readonly_fields = [
        "logo_preview",
        "registration_number",
        "email",
        "schema_name",
        "slug",
        "status",
        "rejection_reason",
        "is_active",
        "decided_at",
        "decided_by",
        "created_at",
    ]
    fields = [
        "logo_preview",
        "name",
        "registration_number",
        "email",
        "phone_number",
        "address",
        "city",
        "timezone",
        "slug",
        "schema_name",
        "status",
        "rejection_reason",
        "is_active",
        "decided_at",
        "decided_by",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).hospitals()

    def has_add_permission(self, request):
        return False  # hospitals apply through the public form or API

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead

    def save_model(self, request, obj, form, change):
        """Save through the profile service (audit row, the directory's city, catalogue cache), never obj.save()."""
        changes = {field: form.cleaned_data[field] for field in form.changed_data if field in PROFILE_FIELDS}
        if changes:
            hospital_update_profile(actor=request.user, hospital=obj, **changes)

    @admin.display(description="Logo")
    def logo_preview(self, hospital):
        if not hospital.logo:
            return "—"
        return format_html('<img src="{}" alt="" style="height:40px;max-width:120px">', hospital.logo.url)

    @admin.action(description="Approve selected hospitals")
    def approve_selected(self, request, queryset):
        for hospital in queryset:
            try:
                hospital_approve(actor=request.user, hospital=hospital)
            except ApplicationError as exc:
                self.message_user(request, f"{hospital.name}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{hospital.name} approved; its admin has been invited.", messages.SUCCESS)

    @admin.action(description="Reject selected hospitals…")
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            for hospital in queryset:
                try:
                    hospital_reject(actor=request.user, hospital=hospital, reason=form.cleaned_data["reason"])
                except ApplicationError as exc:
                    self.message_user(request, f"{hospital.name}: {exc.message}", messages.ERROR)
                else:
                    self.message_user(request, f"{hospital.name} rejected.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "hospitals": queryset,
            "form": form,
            "action": "reject_selected",
            "opts": self.model._meta,
        }
        return render(request, "admin/hospitals/reject.html", context)

    @admin.action(description="Deactivate selected hospitals")
    def deactivate_selected(self, request, queryset):
        for hospital in queryset:
            hospital_set_active(actor=request.user, hospital=hospital, active=False)
        self.message_user(request, "Deactivated.", messages.SUCCESS)

    @admin.action(description="Reactivate selected hospitals")
    def reactivate_selected(self, request, queryset):
        for hospital in queryset:
            hospital_set_active(actor=request.user, hospital=hospital, active=True)
        self.message_user(request, "Reactivated.", messages.SUCCESS)


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

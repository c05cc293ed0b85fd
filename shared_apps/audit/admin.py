from django.contrib import admin

from shared_apps.audit.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "action", "entity", "entity_id", "user", "hospital", "ip"]
    list_filter = ["action", "entity", "hospital"]
    search_fields = ["entity_id", "user__email", "action"]
    date_hierarchy = "timestamp"
    list_select_related = ["user", "hospital"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

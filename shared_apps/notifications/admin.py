from django.contrib import admin

from shared_apps.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "template", "recipient", "hospital", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "template"]
    search_fields = ["recipient", "template"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    list_select_related = ["hospital"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

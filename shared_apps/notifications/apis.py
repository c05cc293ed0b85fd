import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from shared_apps.audit.apis import CanReadAudit
from shared_apps.common.schema import error_responses
from shared_apps.notifications.models import Notification, NotificationStatus
from shared_apps.notifications.selectors import notification_list_for


class NotificationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=NotificationStatus.choices)
    template = django_filters.CharFilter()

    class Meta:
        model = Notification
        fields = ["status", "template"]


class NotificationListApi(ListAPIView):
    """Outbox rows with their delivery status: all for the superadmin, their hospital's for a hospital admin."""

    permission_classes = [CanReadAudit]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = NotificationFilter

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Notification
            fields = [
                "id",
                "channel",
                "recipient",
                "template",
                "hospital",
                "status",
                "attempts",
                "last_error",
                "created_at",
                "sent_at",
            ]

    serializer_class = OutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notification_list_for(user=self.request.user)

    @extend_schema(
        operation_id="admin_notifications",
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

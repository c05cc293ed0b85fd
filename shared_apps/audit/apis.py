import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission

from shared_apps.accounts.models import Role
from shared_apps.audit.models import AuditLog
from shared_apps.audit.selectors import audit_log_list
from shared_apps.common.schema import error_responses


class CanReadAudit(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superadmin or user.role == Role.HOSPITAL_ADMIN))


class AuditLogFilter(django_filters.FilterSet):
    hospital = django_filters.NumberFilter(field_name="hospital_id")
    user = django_filters.NumberFilter(field_name="user_id")
    action = django_filters.CharFilter()
    entity = django_filters.CharFilter()
    date_from = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte")

    class Meta:
        model = AuditLog
        fields = ["hospital", "user", "action", "entity", "date_from", "date_to"]


class AuditLogListApi(ListAPIView):
    """Audit log: every row for the superadmin, their own hospital's for a hospital admin."""

    permission_classes = [CanReadAudit]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = AuditLogFilter

    class OutputSerializer(serializers.ModelSerializer):
        user_email = serializers.EmailField(source="user.email", default=None, read_only=True, allow_null=True)
        ip = serializers.SerializerMethodField(help_text="The client's address; null unless you are the superadmin.")

        class Meta:
            model = AuditLog
            fields = ["id", "timestamp", "action", "entity", "entity_id", "user", "user_email", "hospital", "ip"]

        @extend_schema_field(serializers.IPAddressField(allow_null=True))
        def get_ip(self, row) -> str | None:
            return row.ip if self.context["request"].user.is_superadmin else None  # minimum necessary

    serializer_class = OutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditLog.objects.none()
        return audit_log_list(user=self.request.user)

    @extend_schema(
        operation_id="admin_audit_logs",
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

"""`/api/webhooks/`: a hospital admin's webhook endpoints (their doctors get 403, or 404 for one endpoint; another
hospital's endpoints do not exist). The secret is in the creation's answer only."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from shared_apps.common.apis import HospitalScopedApi
from shared_apps.common.errors import ApplicationError, NotFound
from shared_apps.common.pagination import PageNumberPagination, paginate_in_one_query
from shared_apps.common.schema import error_responses
from shared_apps.common.validation import validated
from shared_apps.events.types import APPOINTMENT_EVENTS
from shared_apps.webhooks.models import URL_MAX_LENGTH
from shared_apps.webhooks.selectors import endpoint_get, endpoint_list, endpoint_row
from shared_apps.webhooks.services import endpoint_create, endpoint_delete


class EndpointOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=APPOINTMENT_EVENTS))
    active = serializers.BooleanField(help_text="false once a day of failed deliveries disabled it.")
    created_at = serializers.DateTimeField()


class CreatedEndpointOutput(EndpointOutput):
    secret = serializers.CharField(help_text="Signs every delivery. Shown this once: store it now.")


class AdminOnlyApi(HospitalScopedApi):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not self.access.is_admin:
            if self.missing_access == 404:
                raise NotFound()
            raise ApplicationError("permission_denied", "Only the hospital's admin manages webhooks.", status=403)


class EndpointListApi(AdminOnlyApi):
    pagination_class = PageNumberPagination  # documents the {count, next, previous, results} shape

    class InputSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=URL_MAX_LENGTH)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=APPOINTMENT_EVENTS), allow_empty=False, max_length=20
        )

    @extend_schema(
        operation_id="webhooks_create",
        request=InputSerializer,
        responses={
            201: CreatedEndpointOutput,
            **error_responses(
                400,
                401,
                403,
                409,
                codes={
                    400: "`invalid` (a malformed URL, an unknown event); `url_refused`: not https, or not public",
                    409: "`too_many_webhooks`",
                },
            ),
        },
        description="Register an endpoint for some of the appointment events. Deliveries are POSTed as "
        "`{id, type, created_at, data}` with `X-RHMS-Event`, `X-RHMS-Delivery` and `X-RHMS-Signature: "
        't=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; retried with backoff for a day.',
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        endpoint = endpoint_create(actor=request.user, hospital=self.hospital, **data)
        response = Response({**endpoint_row(endpoint), "secret": endpoint.secret}, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"  # the secret: kept by no cache or proxy
        return response

    @extend_schema(
        operation_id="webhooks_list",
        responses={200: EndpointOutput(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request):
        return Response(paginate_in_one_query(request, endpoint_list(hospital=self.hospital), endpoint_row))


class EndpointDetailApi(AdminOnlyApi):
    missing_access = 404

    def _endpoint(self, endpoint_id):
        endpoint = endpoint_get(hospital=self.hospital, endpoint_id=endpoint_id)
        if endpoint is None:
            raise NotFound()
        return endpoint

    @extend_schema(operation_id="webhooks_retrieve", responses={200: EndpointOutput, **error_responses(401, 403, 404)})
    def get(self, request, webhook_id):
        return Response(endpoint_row(self._endpoint(webhook_id)))

    @extend_schema(
        operation_id="webhooks_delete", request=None, responses={204: None, **error_responses(401, 403, 404)}
    )
    def delete(self, request, webhook_id):
        endpoint_delete(actor=request.user, hospital=self.hospital, endpoint=self._endpoint(webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

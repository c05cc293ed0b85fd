from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class PingApi(APIView):
    """An empty endpoint: the app is up. Also the benchmark's floor (what DRF costs with no work of ours)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="ping", responses={200: inline_serializer("Pong", {"pong": serializers.BooleanField()})}, auth=[]
    )
    def get(self, request):
        return Response({"pong": True})

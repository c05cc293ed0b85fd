from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from shared_apps.accounts.models import User
from shared_apps.accounts.selectors import hospital_id_for
from shared_apps.accounts.services import (
    password_reset_request,
    password_set,
    patient_register,
    token_refresh,
    user_update_profile,
)
from shared_apps.accounts.tokens import tokens_for
from shared_apps.audit.services import audit_record
from shared_apps.common.errors import ApplicationError
from shared_apps.common.schema import error_responses
from shared_apps.common.validation import StrictCharField, validated


class UserOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "role", "name"]


class MeOutput(serializers.ModelSerializer):
    hospital_id = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "role", "name", "phone_number", "hospital_id"]

    def get_hospital_id(self, user) -> int | None:
        return hospital_id_for(user)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PublicApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterApi(PublicApi):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
        name = StrictCharField(max_length=150)
        phone_number = PhoneNumberField(max_length=32, required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        user = UserOutput()
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(
        operation_id="auth_register",
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        user = patient_register(**data)
        return Response({"user": UserOutput(user).data, **tokens_for(user)}, status=status.HTTP_201_CREATED)


class LoginApi(PublicApi):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    class OutputSerializer(serializers.Serializer):
        class User(serializers.Serializer):
            id = serializers.IntegerField()
            email = serializers.EmailField()
            role = serializers.CharField()
            hospital_id = serializers.IntegerField(allow_null=True)

        access = serializers.CharField()
        refresh = serializers.CharField()
        user = User()

    @extend_schema(
        operation_id="auth_login",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 429)},
        auth=[],
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        user = authenticate(request._request, username=data["email"].strip(), password=data["password"])
        if user is None:
            audit_record(actor=None, action="auth.login_failed", entity="user", metadata={"email": data["email"][:254]})
            raise ApplicationError("authentication_failed", "Invalid email or password.", status=401)
        audit_record(actor=user, action="auth.login", entity="user", entity_id=user.pk)
        body = {
            **tokens_for(user),
            "user": {"id": user.pk, "email": user.email, "role": user.role, "hospital_id": hospital_id_for(user)},
        }
        return Response(body)


class RefreshApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(
        operation_id="auth_refresh",
        request=InputSerializer,
        responses={200: TokenPairOutput, **error_responses(400, 401)},
        auth=[],
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        return Response(token_refresh(refresh=data["refresh"]))


class LogoutApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(
        operation_id="auth_logout", request=InputSerializer, responses={204: None, **error_responses(400, 401)}, auth=[]
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        token = RefreshToken(data["refresh"])
        token.blacklist()
        audit_record(actor=None, action="auth.logout", entity="user", entity_id=token.get("user_id", ""))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=150, required=False)
        phone_number = PhoneNumberField(max_length=32, required=False, allow_blank=True)

    @extend_schema(operation_id="auth_me", responses={200: MeOutput, **error_responses(401)})
    def get(self, request):
        return Response(MeOutput(request.user).data)

    @extend_schema(
        operation_id="auth_me_update", request=InputSerializer, responses={200: MeOutput, **error_responses(400, 401)}
    )
    def patch(self, request):
        data = validated(self.InputSerializer, request.data)
        user = user_update_profile(actor=request.user, **data)
        return Response(MeOutput(user).data)


class PasswordResetApi(PublicApi):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "password"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)

    @extend_schema(
        operation_id="auth_password_reset",
        request=InputSerializer,
        responses={
            202: inline_serializer("PasswordResetAccepted", {"detail": serializers.CharField()}),
            **error_responses(400, 429),
        },
        auth=[],
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        password_reset_request(email=data["email"])
        return Response(
            {"detail": "If an account exists for this email, a link to set a new password is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordSetApi(PublicApi):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "password"

    class InputSerializer(serializers.Serializer):
        uid = serializers.CharField(max_length=64)
        token = serializers.CharField(max_length=128)
        password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(
        operation_id="auth_password_set",
        request=InputSerializer,
        responses={204: None, **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        password_set(**data)
        return Response(status=status.HTTP_204_NO_CONTENT)

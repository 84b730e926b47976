"""REST API of the accounts context: token, current user, user management, rule sets, notices.

The same domain queries scope what a caller sees as in the web UI: an account outside the caller's reach is a 404,
an action its role does not allow a 403 (audited by the access-denied middleware).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate, update_session_auth_hash
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts import queries as account_queries
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.notices import queries as notice_queries
from capmarket.domain.notices.models import Notice
from capmarket.domain.registry.models import Participant
from capmarket.domain.rulesets import queries as ruleset_queries
from capmarket.domain.rulesets.models import RuleParameter, RuleSet
from capmarket.interfaces.api.authentication import AccessRefused
from capmarket.interfaces.auth import LOGIN_REFUSED, client_ip

INVALID_LOGIN = LOGIN_REFUSED  # the same answer for an unknown ID, a wrong password, a locked account, the throttle


def _domain_errors(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"non_field_errors": exc.messages})


# ------------------------------------------------------------------ token and current user


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(label="ユーザID", max_length=150)
    password = serializers.CharField(label="パスワード", style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(label="APIトークン")
    must_change_password = serializers.BooleanField(
        label="パスワード変更が必要",
        help_text="true の間は POST /api/me/password/ 以外のAPIは 403（code: password_change_required）",
    )


class PasswordChangeSerializer(serializers.Serializer[Any]):
    old_password = serializers.CharField(label="現在のパスワード", trim_whitespace=False)
    new_password = serializers.CharField(label="新しいパスワード", trim_whitespace=False)


class ObtainTokenView(APIView):
    """Exchange a user ID and password for an API token (same lockout and audit as the login page)."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer},
        summary="APIトークンの取得",
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        user = authenticate(request._request, username=username, password=data.validated_data["password"])
        if user is None:
            refusal = getattr(request._request, "capmarket_login_refusal", None)
            if refusal is not None:  # a right password refused by the access rules says why
                raise AccessRefused(refusal)
            raise ValidationError({"non_field_errors": [INVALID_LOGIN]})
        token, _ = Token.objects.get_or_create(user=user)
        return Response(
            {"token": token.key, "must_change_password": bool(getattr(user, "must_change_password", False))}
        )


class PasswordChangeView(APIView):
    """Change one's own password (also with a temporary password). Every session and token of the account ends;
    the answer carries the caller's new token."""

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={200: TokenResponseSerializer},
        summary="パスワード変更（本人）",
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        try:
            account_ops.change_own_password(
                user=user,
                old_password=data.validated_data["old_password"],
                new_password=data.validated_data["new_password"],
                now=timezone.now(),
                ip_address=client_ip(request._request),
            )
        except DjangoValidationError as exc:
            raise _domain_errors(exc) from exc
        if request.auth is None:  # a web session: keep this one alive, the others have ended
            update_session_auth_hash(request._request, user)
        token = Token.objects.create(user=user)
        return Response({"token": token.key, "must_change_password": False})


class ParticipantRefSerializer(serializers.ModelSerializer[Participant]):
    class Meta:
        model = Participant
        fields = ["participant_code", "name"]


class UserSerializer(serializers.ModelSerializer[User]):
    participant = ParticipantRefSerializer(read_only=True)
    is_locked = serializers.BooleanField(read_only=True, label="ロック中")
    role_display = serializers.CharField(source="get_role_display", read_only=True, label="権限名")

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "email",
            "role",
            "role_display",
            "participant",
            "is_active",
            "is_locked",
            "must_change_password",
            "last_login",
            "password_changed_at",
        ]
        read_only_fields = fields


class MeView(APIView):
    @extend_schema(responses={200: UserSerializer}, summary="ログイン中のユーザ", tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(cast(User, request.user)).data)


# ------------------------------------------------------------------ user management


class UserIssueSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(label="ユーザID", max_length=150)
    full_name = serializers.CharField(label="氏名", max_length=100)
    email = serializers.EmailField(label="メールアドレス")
    role = serializers.ChoiceField(label="権限", choices=Role.choices)
    participant_code = serializers.CharField(
        label="事業者コード", required=False, allow_blank=True, help_text="管理者IDを発行するときの事業者"
    )
    notify_by_email = serializers.BooleanField(label="仮パスワードをメール通知", required=False, default=False)


class UserUpdateSerializer(serializers.Serializer[Any]):
    full_name = serializers.CharField(label="氏名", max_length=100, required=False)
    email = serializers.EmailField(label="メールアドレス", required=False)
    is_active = serializers.BooleanField(label="有効", required=False)
    role = serializers.ChoiceField(label="権限", choices=Role.choices, required=False)


class ResetPasswordSerializer(serializers.Serializer[Any]):
    notify_by_email = serializers.BooleanField(label="仮パスワードをメール通知", required=False, default=False)


class IssuedUserSerializer(serializers.Serializer[Any]):
    user = UserSerializer()
    temporary_password = serializers.CharField(label="仮パスワード（この応答でのみ表示）")


class CanManageUsers(permissions.BasePermission):
    message = "ユーザを管理する権限がありません。"

    def has_permission(self, request: Request, view: Any) -> bool:
        return account_queries.can_manage_any_users(actor=request.user)


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[User],
):
    """Accounts the caller may manage: staff and 管理者ID for a system administrator, its company's ユーザID for a
    participant administrator."""

    serializer_class = UserSerializer
    permission_classes = [permissions.IsAuthenticated, CanManageUsers]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[User]:
        return account_queries.users_manageable_by(actor=self.request.user)

    def _actor(self) -> User:
        return cast(User, self.request.user)

    @extend_schema(request=UserIssueSerializer, responses={201: IssuedUserSerializer}, summary="ユーザ発行")
    def create(self, request: Request) -> Response:
        data = UserIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        participant = None
        if values.get("participant_code"):
            participant = Participant.objects.filter(participant_code=values["participant_code"]).first()
            if participant is None:
                raise ValidationError({"participant_code": ["「事業者コード」に該当する事業者がありません。"]})
        try:
            issued = account_ops.issue_user(
                actor=self._actor(),
                username=values["username"],
                full_name=values["full_name"],
                email=values["email"],
                role=values["role"],
                participant=participant,
                now=timezone.now(),
                ip_address=client_ip(request._request),
                notify_by_email=values["notify_by_email"],
            )
        except DjangoValidationError as exc:
            raise _domain_errors(exc) from exc
        body = {"user": UserSerializer(issued.user).data, "temporary_password": issued.temporary_password}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer}, summary="ユーザ情報変更")
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        target = self.get_object()
        data = UserUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            updated = account_ops.update_user(
                actor=self._actor(),
                user=target,
                full_name=values.get("full_name", target.full_name),
                email=values.get("email", target.email),
                is_active=values.get("is_active", target.is_active),
                role=values.get("role"),
                now=timezone.now(),
                ip_address=client_ip(request._request),
            )
        except account_ops.UserNotManageable as exc:
            raise NotFound from exc
        except DjangoValidationError as exc:
            raise _domain_errors(exc) from exc
        return Response(UserSerializer(updated).data)

    def _lock(self, request: Request, *, lock: bool) -> Response:
        target = self.get_object()
        operation = account_ops.lock_user if lock else account_ops.unlock_user
        try:
            updated = operation(
                actor=self._actor(), user=target, now=timezone.now(), ip_address=client_ip(request._request)
            )
        except account_ops.UserNotManageable as exc:
            raise NotFound from exc
        except DjangoValidationError as exc:
            raise _domain_errors(exc) from exc
        return Response(UserSerializer(updated).data)

    @extend_schema(request=None, responses={200: UserSerializer}, summary="ロック")
    @action(detail=True, methods=["post"])
    def lock(self, request: Request, pk: str | None = None) -> Response:
        return self._lock(request, lock=True)

    @extend_schema(request=None, responses={200: UserSerializer}, summary="ロック解除")
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: str | None = None) -> Response:
        return self._lock(request, lock=False)

    @extend_schema(request=ResetPasswordSerializer, responses={200: IssuedUserSerializer}, summary="パスワード再発行")
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request: Request, pk: str | None = None) -> Response:
        target = self.get_object()
        data = ResetPasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            issued = account_ops.reset_password(
                actor=self._actor(),
                user=target,
                now=timezone.now(),
                ip_address=client_ip(request._request),
                notify_by_email=data.validated_data["notify_by_email"],
            )
        except account_ops.UserNotManageable as exc:
            raise NotFound from exc
        return Response({"user": UserSerializer(issued.user).data, "temporary_password": issued.temporary_password})


# ------------------------------------------------------------------ rule sets and notices


class RuleParameterSerializer(serializers.ModelSerializer[RuleParameter]):
    doubtful = serializers.SerializerMethodField(label="未確認・仮置き")

    class Meta:
        model = RuleParameter
        fields = ["name", "value", "confidence", "source", "doubtful"]

    def get_doubtful(self, obj: RuleParameter) -> bool:
        return obj.confidence in ruleset_queries.DOUBTFUL_CONFIDENCES


class RuleSetSerializer(serializers.ModelSerializer[RuleSet]):
    class Meta:
        model = RuleSet
        fields = ["id", "name", "version", "delivery_year", "note", "published_at", "based_on"]


class RuleSetDetailSerializer(RuleSetSerializer):
    parameters = serializers.SerializerMethodField()

    class Meta(RuleSetSerializer.Meta):
        fields = [*RuleSetSerializer.Meta.fields, "parameters"]

    @extend_schema_field(RuleParameterSerializer(many=True))
    def get_parameters(self, obj: RuleSet) -> list[dict[str, Any]]:
        return RuleParameterSerializer(ruleset_queries.parameters_of(ruleset=obj), many=True).data  # type: ignore[return-value]


class CanViewRuleSets(permissions.BasePermission):
    message = "算定ルールセットを閲覧する権限がありません。"

    def has_permission(self, request: Request, view: Any) -> bool:
        return can(user=request.user, action=Action.VIEW_RULESETS)


class RuleSetViewSet(viewsets.ReadOnlyModelViewSet[RuleSet]):
    """Every version of every rule set; old versions stay readable."""

    permission_classes = [permissions.IsAuthenticated, CanViewRuleSets]

    def get_queryset(self) -> QuerySet[RuleSet]:
        return ruleset_queries.all_versions()

    def get_serializer_class(self) -> type[serializers.BaseSerializer[RuleSet]]:
        return RuleSetDetailSerializer if self.action == "retrieve" else RuleSetSerializer


class NoticeSerializer(serializers.ModelSerializer[Notice]):
    participant = ParticipantRefSerializer(read_only=True)

    class Meta:
        model = Notice
        fields = ["id", "title", "body", "audience", "participant", "important", "published_at"]


class NoticeViewSet(viewsets.ReadOnlyModelViewSet[Notice]):
    """The notices meant for the caller (all, its market roles, its company; staff see all)."""

    serializer_class = NoticeSerializer

    def get_queryset(self) -> QuerySet[Notice]:
        return notice_queries.notices_for(user=self.request.user, now=timezone.now())

"""REST API of system access (/api/access/…): client certificates, contractors (delegations), suspensions,
maintenance, request limits, use applications, termination, and the service status.

The same domain queries scope what a caller sees as in the web UI (another company's record is a 404); an action
the caller's role does not allow is a 403. The use application is the one endpoint open without an account.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from capmarket.application import use_applications
from capmarket.domain.access import operations as access_ops
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.models import (
    ApplicationState,
    ClientCertificate,
    RegisteredVia,
    TerminationRequest,
    UseApplication,
)
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.registry.models import Participant
from capmarket.interfaces import access
from capmarket.interfaces.api.authentication import AccessRefused
from capmarket.interfaces.auth import client_ip


def refused(exc: Exception) -> ApiValidationError:
    if isinstance(exc, DjangoValidationError) and hasattr(exc, "error_dict"):
        return ApiValidationError(exc.message_dict)
    if isinstance(exc, DjangoValidationError):
        return ApiValidationError({"non_field_errors": exc.messages})
    return ApiValidationError({"non_field_errors": [str(exc)]})


def participant_by_code(code: str) -> Participant:
    participant = Participant.objects.filter(participant_code=code.strip()).first()
    if participant is None:
        raise ApiValidationError({"participant_code": [f"事業者コード「{code}」の事業者は登録されていません。"]})
    return participant


def _own(request: Request) -> Participant:
    user: Any = request.user
    if getattr(user, "acting_for", None) is not None or not getattr(user, "is_participant_member", False):
        raise PermissionDenied("事業者の管理者IDで操作してください。")
    return user.participant  # type: ignore[no-any-return]


# ---------------------------------------------------------------- client certificates


class ClientCertificateSerializer(serializers.ModelSerializer[ClientCertificate]):
    participant_code = serializers.CharField(
        source="participant.participant_code", read_only=True, label="事業者コード"
    )
    state = serializers.SerializerMethodField(label="状態")
    replaces = serializers.PrimaryKeyRelatedField[ClientCertificate](read_only=True, label="更新前の証明書")

    class Meta:
        model = ClientCertificate
        fields = (
            "id",
            "participant_code",
            "client_name",
            "fingerprint_sha256",
            "serial_number",
            "subject",
            "issuer",
            "not_before_at",
            "not_after_at",
            "state",
            "registered_at",
            "registered_via",
            "replaces",
            "revoked_at",
            "revoke_reason",
        )
        read_only_fields = fields

    def get_state(self, obj: ClientCertificate) -> str:
        return access_queries.certificate_state(certificate=obj, now=access.clock()).value


class CertificateRegisterSerializer(serializers.Serializer[Any]):
    client_name = serializers.CharField(label="クライアント名", max_length=100)
    certificate = serializers.CharField(label="証明書（PEM）", max_length=20_000, trim_whitespace=False)
    renew = serializers.BooleanField(label="更新", default=False)
    participant_code = serializers.CharField(
        label="事業者コード（広域機関のみ）", max_length=16, required=False, allow_blank=True
    )


class CertificateFileSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(label="登録・更新用ファイル（710/711, CSV）")


class CertificateFileResultSerializer(serializers.Serializer[Any]):
    registered = serializers.IntegerField(label="登録")
    renewed = serializers.IntegerField(label="更新")
    unchanged = serializers.IntegerField(label="変更なし")


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(label="理由", max_length=2000)


@extend_schema_view(
    list=extend_schema(summary="クライアント証明書の一覧", tags=["access"]),
    retrieve=extend_schema(summary="クライアント証明書の詳細", tags=["access"]),
)
class ClientCertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = ClientCertificateSerializer
    queryset = ClientCertificate.objects.none()

    def get_queryset(self) -> QuerySet[ClientCertificate]:
        return access_queries.certificates_visible_to(
            user=self.request.user, search=str(self.request.query_params.get("q", ""))
        )

    def get_object(self) -> ClientCertificate:
        try:
            return access_queries.get_certificate_for(user=self.request.user, pk=self.kwargs["pk"])
        except ClientCertificate.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="クライアント証明書の登録・更新",
        request=CertificateRegisterSerializer,
        responses={201: ClientCertificateSerializer},
        tags=["access"],
    )
    def create(self, request: Request) -> Response:
        data = CertificateRegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data.get("participant_code") or ""
        participant = (
            participant_by_code(code) if code and can(user=request.user, action=Action.MANAGE_ACCESS) else _own(request)
        )
        try:
            result = access_ops.register_certificate(
                actor=request.user,
                participant=participant,
                client_name=data.validated_data["client_name"],
                certificate=data.validated_data["certificate"],
                renew=data.validated_data["renew"],
                via=RegisteredVia.API,
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("クライアント証明書を登録する権限がありません。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(
            ClientCertificateSerializer(result.certificate).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="登録・更新用ファイル（710/711）の取込",
        request={"multipart/form-data": CertificateFileSerializer},
        responses=CertificateFileResultSerializer,
        tags=["access"],
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request: Request) -> Response:
        if not (
            can(user=request.user, action=Action.MANAGE_OWN_ACCESS)
            or can(user=request.user, action=Action.MANAGE_ACCESS)
        ):
            raise PermissionDenied("クライアント証明書を登録する権限がありません。")
        data = CertificateFileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > 5_000_000:
            raise ApiValidationError({"file": ["ファイルが大きすぎます（5MBまで）。"]})
        try:
            outcome = access_ops.import_certificate_file(
                actor=request.user,
                content=upload.read(),
                filename=upload.name,
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response({"registered": outcome.registered, "renewed": outcome.renewed, "unchanged": outcome.unchanged})

    @extend_schema(
        summary="クライアント証明書の失効",
        request=ReasonSerializer,
        responses=ClientCertificateSerializer,
        tags=["access"],
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        certificate = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            revoked = access_ops.revoke_certificate(
                actor=request.user,
                certificate=certificate,
                reason=data.validated_data["reason"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("この証明書を失効させる権限がありません。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(ClientCertificateSerializer(revoked).data)


# ---------------------------------------------------------------- use applications and termination


class UseApplicationSerializer(serializers.ModelSerializer[UseApplication]):
    reference = serializers.CharField(read_only=True, label="受付番号")
    certificate = serializers.CharField(
        write_only=True, label="クライアント証明書（PEM）", max_length=20_000, trim_whitespace=False
    )

    class Meta:
        model = UseApplication
        fields = (
            "id",
            "reference",
            *access_ops.APPLICATION_FIELDS,
            "tso_area",
            "certificate",
            "certificate_fingerprint",
            "terms_version",
            "submitted_at",
            "state",
            "reviewed_at",
            "decision_note",
        )
        read_only_fields = (
            "id",
            "reference",
            "certificate_fingerprint",
            "terms_version",
            "submitted_at",
            "state",
            "reviewed_at",
            "decision_note",
        )
        extra_kwargs = {
            name: {"required": True}
            for name in ("is_electricity_supplier", "intends_to_bid", "accepts_terms", "not_antisocial")
        }


class ApproveSerializer(serializers.Serializer[Any]):
    admin_username = serializers.CharField(label="発行する管理者ID", max_length=150, required=False, allow_blank=True)


class ApprovedSerializer(serializers.Serializer[Any]):
    application = UseApplicationSerializer()
    participant_code = serializers.CharField(label="事業者コード")
    admin_username = serializers.CharField(label="管理者ID")
    temporary_password = serializers.CharField(label="仮パスワード（この応答でのみ返します）")


class NoteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(label="却下の理由", max_length=2000)


@extend_schema_view(
    list=extend_schema(
        summary="利用申込の一覧（広域機関）",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=list(ApplicationState.values), description="状態")
        ],
        tags=["access"],
    ),
    retrieve=extend_schema(summary="利用申込の詳細", tags=["access"]),
)
class UseApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = UseApplicationSerializer
    queryset = UseApplication.objects.none()
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_permissions(self) -> Any:
        if self.action == "create":
            return [permissions.AllowAny()]  # the applicant has no account yet
        return super().get_permissions()

    def get_queryset(self) -> QuerySet[UseApplication]:
        state = str(self.request.query_params.get("state", ""))
        return access_queries.applications_visible_to(
            user=self.request.user, state=state if state in ApplicationState.values else ""
        )

    def get_object(self) -> UseApplication:
        try:
            return access_queries.get_application_for(user=self.request.user, pk=self.kwargs["pk"])
        except UseApplication.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="利用申込（アカウント不要）",
        request=UseApplicationSerializer,
        responses={201: UseApplicationSerializer},
        tags=["access"],
    )
    def create(self, request: Request) -> Response:
        data = UseApplicationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if (refusal := access.application_limit(request._request, now=access.clock())) is not None:
            raise AccessRefused(refusal)
        values = {k: v for k, v in data.validated_data.items() if k in access_ops.APPLICATION_FIELDS}
        try:
            application = access_ops.submit_application(
                values=values,
                certificate=data.validated_data["certificate"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(UseApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="利用申込の承認（管理者IDの発行）",
        request=ApproveSerializer,
        responses=ApprovedSerializer,
        tags=["access"],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        application = self.get_object()
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            approved = use_applications.approve_application(
                actor=request.user,
                application=application,
                admin_username=data.validated_data.get("admin_username") or application.admin_username,
                login_url=request.build_absolute_uri(reverse("web:login")),
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("利用申込を承認する権限がありません。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(
            {
                "application": UseApplicationSerializer(approved.application).data,
                "participant_code": approved.participant.participant_code,
                "admin_username": approved.admin_user.username,
                "temporary_password": approved.temporary_password,
            }
        )

    @extend_schema(
        summary="利用申込の却下", request=NoteSerializer, responses=UseApplicationSerializer, tags=["access"]
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        application = self.get_object()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            rejected = access_ops.reject_application(
                actor=request.user,
                application=application,
                note=data.validated_data["note"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("利用申込を審査する権限がありません。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(UseApplicationSerializer(rejected).data)


class TerminationSerializer(serializers.ModelSerializer[TerminationRequest]):
    participant_code = serializers.CharField(
        source="participant.participant_code", read_only=True, label="事業者コード"
    )

    class Meta:
        model = TerminationRequest
        fields = ("id", "participant_code", "reason", "requested_at", "state", "decided_at")
        read_only_fields = ("id", "participant_code", "requested_at", "state", "decided_at")


@extend_schema_view(
    list=extend_schema(summary="利用契約の終了申請の一覧", tags=["access"]),
    retrieve=extend_schema(summary="終了申請の詳細", tags=["access"]),
)
class TerminationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = TerminationSerializer
    queryset = TerminationRequest.objects.none()

    def get_queryset(self) -> QuerySet[TerminationRequest]:
        return access_queries.terminations_visible_to(user=self.request.user)

    def get_object(self) -> TerminationRequest:
        try:
            return access_queries.get_termination_for(user=self.request.user, pk=self.kwargs["pk"])
        except TerminationRequest.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="利用契約の終了の申請（事業者の管理者ID）",
        request=TerminationSerializer,
        responses={201: TerminationSerializer},
        tags=["access"],
    )
    def create(self, request: Request) -> Response:
        data = TerminationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            created = access_ops.request_termination(
                actor=request.user,
                reason=data.validated_data["reason"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("終了を申請する権限がありません（事業者の管理者ID）。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(TerminationSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="終了の措置の完了（広域機関）", request=None, responses=TerminationSerializer, tags=["access"]
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        termination = self.get_object()
        try:
            done = access_ops.complete_termination(
                actor=request.user, request=termination, now=access.clock(), ip_address=client_ip(request._request)
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("終了の措置を行う権限がありません。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(TerminationSerializer(done.request).data)

    @extend_schema(summary="終了申請の取下げ", request=None, responses=TerminationSerializer, tags=["access"])
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        termination = self.get_object()
        try:
            withdrawn = access_ops.withdraw_termination(
                actor=request.user, request=termination, now=access.clock(), ip_address=client_ip(request._request)
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("この申請を取り下げる権限がありません。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(TerminationSerializer(withdrawn).data)

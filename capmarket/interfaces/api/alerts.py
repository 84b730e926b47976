"""REST API of the reserve-margin alerts and the outbox.

- ``GET/POST /api/alerts/publications/``: publications (staff), newest first; POST a published file (multipart
  ``file``, optional ``correction``): 201 new, 200 already taken in, 400 with every error, 403.
- ``GET /api/alerts/publications/<id>/``: one publication with its judgements.
- ``GET /api/alerts/board/?days=3``: the margins in force by area and slot for today and the coming days.
- ``GET /api/alerts/notified-slots/``: the slots a provider was asked to offer capacity for (B80; a company sees
  its own).
- ``GET /api/alerts/report/?from=YYYY-MM-DD&to=YYYY-MM-DD``: the daily report rows (staff).
- ``GET /api/mail/emails/``, ``GET /api/mail/emails/<id>/``: the send log (a company sees the e-mails sent to it).
- ``GET/PUT /api/contacts/<participant_code>/``: a company's contact addresses by purpose.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from capmarket.application import reserve_margins
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.alerts import queries, report_queries
from capmarket.domain.alerts.models import Judgement, Publication, PublicationSource
from capmarket.domain.notifications import operations as mail_ops
from capmarket.domain.notifications import queries as mail_queries
from capmarket.domain.notifications.models import ContactPurpose, OutboundEmail
from capmarket.domain.registry import queries as registry_queries


class IsOperatorStaff(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return queries.sees_alerts_back_office(user=request.user)


class JudgementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Judgement
        fields = ["area", "date", "slot", "state", "margin_milli_pct", "blackout", "previous_margin_milli_pct",
                  "alertable"]  # fmt: skip


class PublicationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    newly_below = serializers.IntegerField(read_only=True, label="新たに基準未満")
    still_below = serializers.IntegerField(read_only=True, label="引き続き基準未満")
    recovered = serializers.IntegerField(read_only=True, label="回復")

    class Meta:
        model = Publication
        fields = [
            "id", "kind", "published_at", "received_at", "source", "source_name", "first_date", "last_date",
            "row_count", "correction", "dataset_version", "latest_slots", "slots_below", "threshold_pct",
            "content_sha256", "newly_below", "still_below", "recovered",
        ]  # fmt: skip
        read_only_fields = fields


class PublicationDetailSerializer(PublicationSerializer):
    judgements = JudgementSerializer(many=True, read_only=True)

    class Meta(PublicationSerializer.Meta):
        fields = [*PublicationSerializer.Meta.fields, "judgements"]
        read_only_fields = fields


class PublicationUploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField(label="公表ファイル")
    correction = serializers.BooleanField(label="訂正版", required=False, default=False)


class ImportResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    publication = serializers.IntegerField()
    new = serializers.BooleanField()
    slots_below = serializers.IntegerField()
    emails_queued = serializers.IntegerField()


class FileErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.CharField()
    line = serializers.IntegerField()
    column = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message_ja = serializers.CharField()
    message_en = serializers.CharField()


ImportErrorsSerializer = inline_serializer(
    name="PublicationImportErrors", fields={"errors": FileErrorSerializer(many=True)}
)


class PublicationListView(generics.ListAPIView):  # type: ignore[type-arg]
    """Publications, newest first (staff). POST a published file to take it in."""

    serializer_class = PublicationSerializer
    permission_classes = [IsOperatorStaff]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Publication]:
        return queries.publications(kind=self.request.query_params.get("kind", ""))

    @extend_schema(
        request={"multipart/form-data": PublicationUploadSerializer},
        responses={201: ImportResultSerializer, 200: ImportResultSerializer, 400: ImportErrorsSerializer},
    )
    def post(self, request: Request) -> Response:
        if not can(user=request.user, action=Action.MANAGE_ALERTS):
            raise PermissionDenied("広域予備率の公表ファイルを取り込む権限がありません。")
        form = PublicationUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        uploaded: Any = form.validated_data["file"]
        try:
            outcome = reserve_margins.import_file(
                data=uploaded.read(),
                filename=uploaded.name,
                source=PublicationSource.API,
                user=request.user,
                now=timezone.now(),
                correction=form.validated_data["correction"],
            )
        except reserve_margins.UnableToImportPublication as exc:
            errors = [e.__dict__ for e in exc.errors[:1000]]
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(outcome.as_dict(), status=status.HTTP_201_CREATED if outcome.new else status.HTTP_200_OK)


class PublicationDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = PublicationDetailSerializer
    permission_classes = [IsOperatorStaff]

    def get_queryset(self) -> QuerySet[Publication]:
        return queries.publications().prefetch_related("judgements")


class BoardDaySerializer(serializers.Serializer):  # type: ignore[type-arg]
    date = serializers.DateField()
    threshold_pct = serializers.CharField()
    areas = serializers.ListField(child=serializers.CharField())
    margins_milli_pct = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(allow_null=True)),
        help_text="エリア → 48コマの広域予備率（0.001%単位、null は未公表またはブラックアウト）",
    )
    blackout = serializers.DictField(child=serializers.ListField(child=serializers.BooleanField()))
    below = serializers.DictField(child=serializers.ListField(child=serializers.BooleanField()))


class BoardView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="何日分（1〜8、既定3）")],
        responses=BoardDaySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        try:
            count = min(max(int(request.query_params.get("days", "3")), 1), 8)
        except ValueError:
            count = 3
        today = timezone.localtime(timezone.now()).date()
        days = queries.board(days=[today + dt.timedelta(days=i) for i in range(count)], as_of=timezone.now())
        return Response(
            [
                {
                    "date": d.day.isoformat(),
                    "threshold_pct": str(d.threshold),
                    "areas": d.areas,
                    "margins_milli_pct": d.margins,
                    "blackout": d.blackout,
                    "below": d.below,
                }
                for d in days
            ]
        )


class NotifiedSlotSerializer(serializers.Serializer):  # type: ignore[type-arg]
    participant_code = serializers.CharField()
    area = serializers.CharField()
    date = serializers.DateField()
    slot = serializers.IntegerField()
    margin_milli_pct = serializers.IntegerField(allow_null=True)
    published_at = serializers.DateTimeField()
    notified_at = serializers.DateTimeField()
    publication_id = serializers.IntegerField()
    email_state = serializers.CharField()
    current_state = serializers.CharField()


class NotifiedSlotsView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("participant", str, description="事業者コード（広域機関のみ）"),
            OpenApiParameter("from", dt.date),
            OpenApiParameter("to", dt.date),
            OpenApiParameter("area", str),
        ],
        responses=NotifiedSlotSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        participant_id = None
        code = request.query_params.get("participant", "")
        if code and queries.sees_alerts_back_office(user=request.user):
            found = registry_queries.participants_visible_to(user=request.user).filter(participant_code=code).first()
            participant_id = found.pk if found is not None else -1
        rows = queries.notified_slots(
            user=request.user,
            participant_id=participant_id,
            date_from=_date(request.query_params.get("from")),
            date_to=_date(request.query_params.get("to")),
            area=request.query_params.get("area", ""),
        )
        return Response(NotifiedSlotSerializer([r.__dict__ for r in rows], many=True).data)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


class ReportRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    date = serializers.DateField()
    publications = serializers.IntegerField()
    newly_below = serializers.IntegerField()
    still_below = serializers.IntegerField()
    recovered = serializers.IntegerField()
    providers_alerted = serializers.IntegerField()
    emails_total = serializers.IntegerField()
    emails_sent = serializers.IntegerField()
    emails_failed = serializers.IntegerField()
    emails_waiting = serializers.IntegerField()
    max_minutes_publication_to_last_email = serializers.CharField(allow_null=True)
    max_minutes_receipt_to_last_email = serializers.CharField(allow_null=True)
    operator_messages_sent = serializers.IntegerField()


class ReportView(APIView):
    permission_classes = [IsOperatorStaff]

    @extend_schema(
        parameters=[OpenApiParameter("from", dt.date, required=True), OpenApiParameter("to", dt.date, required=True)],
        responses=ReportRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        date_from = _date(request.query_params.get("from"))
        date_to = _date(request.query_params.get("to"))
        if date_from is None or date_to is None or not 0 < (date_to - date_from).days <= 366:
            return Response({"detail": "from と to（1〜366日）を YYYY-MM-DD で指定してください。"}, status=400)
        return Response([r.as_dict() for r in report_queries.daily_report(date_from=date_from, date_to=date_to)])


class EmailSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    participant_code = serializers.CharField(source="participant.participant_code", allow_null=True, read_only=True)

    class Meta:
        model = OutboundEmail
        fields = ["id", "kind", "participant_code", "to", "subject", "body", "state", "attempts", "last_error",
                  "created_at", "sent_at", "message_id"]  # fmt: skip
        read_only_fields = fields


class EmailListView(generics.ListAPIView):  # type: ignore[type-arg]
    """The send log: staff every e-mail, a company the e-mails sent to it."""

    serializer_class = EmailSerializer

    def get_queryset(self) -> QuerySet[OutboundEmail]:
        p = self.request.query_params
        return mail_queries.emails_visible_to(user=self.request.user, state=p.get("state", ""), kind=p.get("kind", ""))


class EmailDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = EmailSerializer

    def get_queryset(self) -> QuerySet[OutboundEmail]:
        return mail_queries.emails_visible_to(user=self.request.user)


class ContactsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    alerts = serializers.ListField(child=serializers.EmailField(), required=False)
    results = serializers.ListField(child=serializers.EmailField(), required=False)
    billing = serializers.ListField(child=serializers.EmailField(), required=False)
    general = serializers.ListField(child=serializers.EmailField(), required=False)


class ContactsView(APIView):
    parser_classes = [JSONParser]

    def _participant(self, request: Request, code: str) -> Any:
        found = registry_queries.participants_visible_to(user=request.user).filter(participant_code=code).first()
        if found is None:
            raise NotFound("事業者が見つかりません。")
        return found

    @extend_schema(responses=ContactsSerializer)
    def get(self, request: Request, code: str) -> Response:
        return Response(mail_queries.contacts_by_purpose(participant=self._participant(request, code)))

    @extend_schema(request=ContactsSerializer, responses=ContactsSerializer)
    def put(self, request: Request, code: str) -> Response:
        participant = self._participant(request, code)
        form = ContactsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if not mail_ops.may_manage_contacts(actor=request.user, participant=participant):
            raise PermissionDenied("この事業者の連絡先を変更する権限がありません。")
        for purpose in ContactPurpose.values:
            if purpose in form.validated_data:
                mail_ops.set_contact_addresses(
                    actor=request.user,
                    participant=participant,
                    purpose=purpose,
                    emails=form.validated_data[purpose],
                    now=timezone.now(),
                )
        return Response(mail_queries.contacts_by_purpose(participant=participant))

"""Serializers of the registry API. Field labels are the models' Japanese names, so messages can name the field."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from capmarket.domain.contracts.models import Auction, CapacityContract
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.registry.operations import (
    PARTICIPANT_CREATE_FIELDS,
    PARTICIPANT_UPDATE_FIELDS,
    RESOURCE_CREATE_FIELDS,
    RESOURCE_UPDATE_FIELDS,
)

_TIMESTAMPS = ("created_at", "updated_at")


class ParticipantSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    roles = serializers.SerializerMethodField(label="事業者区分")

    class Meta:
        model = Participant
        fields = ("id", *PARTICIPANT_CREATE_FIELDS, "roles", *_TIMESTAMPS)
        read_only_fields: tuple[str, ...] = ("id", "roles", *_TIMESTAMPS)
        validators: list[Any] = []  # the domain operation validates the whole record (constraints included)

    def get_roles(self, obj: Participant) -> list[str]:
        return [
            r for r, flag in (("provider", obj.is_provider), ("retailer", obj.is_retailer), ("tso", obj.is_tso)) if flag
        ]


class ParticipantUpdateSerializer(ParticipantSerializer):
    class Meta(ParticipantSerializer.Meta):
        read_only_fields = tuple(f for f in ParticipantSerializer.Meta.fields if f not in PARTICIPANT_UPDATE_FIELDS)


class ResourceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    participant_code = serializers.CharField(
        source="participant.participant_code", read_only=True, label="事業者コード"
    )
    participant_name = serializers.CharField(source="participant.name", read_only=True, label="容量提供事業者名")

    class Meta:
        model = Resource
        fields = ("id", *RESOURCE_CREATE_FIELDS, "participant_code", "participant_name", *_TIMESTAMPS)
        read_only_fields: tuple[str, ...] = ("id", *_TIMESTAMPS)
        validators: list[Any] = []


class ResourceUpdateSerializer(ResourceSerializer):
    class Meta(ResourceSerializer.Meta):
        read_only_fields = tuple(f for f in ResourceSerializer.Meta.fields if f not in RESOURCE_UPDATE_FIELDS)


class CapacityContractSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    participant_code = serializers.CharField(
        source="participant.participant_code", read_only=True, label="事業者コード"
    )
    resource_code = serializers.CharField(source="resource.resource_code", read_only=True, label="電源等識別番号")

    class Meta:
        model = CapacityContract
        fields = (
            "id",
            "contract_code",
            "participant",
            "participant_code",
            "resource",
            "resource_code",
            "delivery_year",
            "auction",
            "price_yen_per_kw",
            "contract_kw",
            "assessment_kw",
            "transitional",
            "gross_amount_yen",
            "transitional_deduction_yen",
            "amount_yen",
            "amount_overridden",
            "ruleset_name",
            "state",
            "supersedes",
            *_TIMESTAMPS,
        )
        read_only_fields = fields


class ContractTermsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    price_yen_per_kw = serializers.IntegerField(label="約定価格（円/kW）", min_value=0)
    contract_kw = serializers.IntegerField(label="契約容量（kW）", min_value=0)
    assessment_kw = serializers.IntegerField(
        label="アセスメント対象容量（kW）", min_value=0, required=False, allow_null=True, default=None
    )
    transitional = serializers.BooleanField(label="経過措置対象", default=False)
    amount_override_yen = serializers.IntegerField(
        label="容量確保契約金額（個別指定・円）", min_value=0, required=False, allow_null=True, default=None
    )


class ContractCreateSerializer(ContractTermsSerializer):
    resource = serializers.PrimaryKeyRelatedField(label="電源等", queryset=Resource.objects.all())
    delivery_year = serializers.IntegerField(label="実需給年度", min_value=2020, max_value=2100)
    auction = serializers.ChoiceField(label="オークション", choices=Auction.choices, default=Auction.MAIN)


class ContractChangeSerializer(ContractTermsSerializer):
    reason = serializers.CharField(label="変更理由", max_length=200)


class ContractCancelSerializer(serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField(label="解約理由", max_length=200)

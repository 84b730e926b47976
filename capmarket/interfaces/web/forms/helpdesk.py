"""Forms of the inquiry desk: the portal's inquiry form and reply, the desk's work on an inquiry, phone calls,
answer drafts and reviews, FAQ entries and talk scripts, the checklist and report generation."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile

from capmarket.domain.helpdesk.models import (
    ArticleKind,
    CallDirection,
    CallOutcome,
    Category,
    LinkKind,
    Priority,
    Status,
)
from capmarket.domain.registry.models import Participant
from capmarket.domain.reporting.models import ReportKind
from capmarket.interfaces.web.forms.accounts import NamedErrorsMixin

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the domain checks each (type, content, size) and refuses with a reason."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[Any]]:
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def read_files(files: list[UploadedFile[Any]]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for f in files:
        data = f.read(MAX_UPLOAD_BYTES + 1)
        out.append((f.name or "添付ファイル", data))
    return out


class InquiryForm(NamedErrorsMixin, forms.Form):
    category = forms.ChoiceField(label="分類", choices=[("", "選択してください"), *Category.choices])
    subject = forms.CharField(label="件名", max_length=300)
    body = forms.CharField(
        label="問合せ内容",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="事業者名・担当者名・連絡先と、対象の電源等・月・書類番号など状況をできるだけ詳しくご記入ください。",
    )
    attachments = MultipleFileField(
        label="添付ファイル",
        help_text="PDF・画像・CSV・テキスト・Excel/Word/PowerPoint（マクロなし）、1ファイル10MBまで、10件まで。",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


class ReplyForm(NamedErrorsMixin, forms.Form):
    body = forms.CharField(label="追記・追加の質問", widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label="添付ファイル")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


class DeskFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状態",
        required=False,
        choices=[("open", "未回答（新規・対応中・回答待ち）"), ("", "すべて"), *Status.choices],
    )
    category = forms.ChoiceField(label="分類", required=False, choices=[("", "すべて"), *Category.choices])
    channel = forms.ChoiceField(
        label="受付経路",
        required=False,
        choices=[("", "すべて"), ("email", "メール"), ("portal", "ポータル"), ("phone", "電話")],
    )
    assignee = forms.ChoiceField(label="担当者", required=False)
    q = forms.CharField(label="キーワード", required=False)

    def __init__(self, *args: Any, staff: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", "すべて"),
            ("me", "自分"),
            ("none", "未割当て"),
            *[(str(u.pk), u.full_name or u.username) for u in staff],
        ]


class AttributesForm(NamedErrorsMixin, forms.Form):
    category = forms.ChoiceField(label="分類", choices=Category.choices)
    priority = forms.ChoiceField(label="優先度", choices=Priority.choices)
    participant = forms.ModelChoiceField(
        label="事業者（事業者コード）",
        queryset=Participant.objects.order_by("participant_code", "id"),
        required=False,
        to_field_name="participant_code",
        widget=forms.TextInput(attrs={"size": 10, "placeholder": "例: P0001"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="担当者", required=False)

    def __init__(self, *args: Any, staff: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", "（未割当て）"),
            *[(str(u.pk), u.full_name or u.username) for u in staff],
        ]


class StatusForm(NamedErrorsMixin, forms.Form):
    status = forms.ChoiceField(label="状態", choices=[c for c in Status.choices if c[0] != Status.ANSWERED])
    comment = forms.CharField(label="理由・コメント", required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


class NoteForm(NamedErrorsMixin, forms.Form):
    body = forms.CharField(label="社内メモ", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


class LinkForm(NamedErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label="種類", choices=LinkKind.choices)
    code = forms.CharField(
        label="コード",
        max_length=64,
        help_text="電源等識別番号・契約番号、算定結果は「契約番号 YYYY-MM」、異議は受付番号",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


class DraftForm(NamedErrorsMixin, forms.Form):
    subject = forms.CharField(label="件名", max_length=300)
    body = forms.CharField(label="回答本文", widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


class ReturnForm(NamedErrorsMixin, forms.Form):
    comment = forms.CharField(label="差戻しの理由", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


class PhoneCallForm(NamedErrorsMixin, forms.Form):
    direction = forms.ChoiceField(label="受電/架電", choices=CallDirection.choices, initial=CallDirection.INCOMING)
    participant = forms.ModelChoiceField(
        label="事業者（事業者コード）",
        queryset=Participant.objects.order_by("participant_code", "id"),
        required=False,
        to_field_name="participant_code",
        widget=forms.TextInput(attrs={"size": 10, "placeholder": "例: P0001"}),
    )
    caller_name = forms.CharField(label="相手の氏名", max_length=100)
    caller_phone = forms.CharField(label="電話番号", max_length=30, required=False)
    category = forms.ChoiceField(label="分類", choices=Category.choices, initial=Category.OTHER)
    topic = forms.CharField(label="用件", max_length=300)
    summary = forms.CharField(label="内容の要旨", widget=forms.Textarea(attrs={"rows": 4}))
    started_at = forms.DateTimeField(label="開始日時", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    duration_minutes = forms.IntegerField(label="通話時間（分）", min_value=0, max_value=1440)
    outcome = forms.ChoiceField(label="結果", choices=CallOutcome.choices)
    answer = forms.CharField(
        label="電話で回答した内容",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="結果が「電話で回答済」のとき必須。事業者のポータルにも表示されます。",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


class ArticleForm(NamedErrorsMixin, forms.Form):
    category = forms.ChoiceField(label="分類", choices=Category.choices)
    title = forms.CharField(label="題名（質問）", max_length=300)
    body = forms.CharField(label="本文（回答）", widget=forms.Textarea(attrs={"rows": 10}))
    keywords = forms.CharField(
        label="キーワード", max_length=500, required=False, help_text="検索・候補表示に使う語（空白区切り）"
    )
    published = forms.BooleanField(label="公開", required=False)
    change_note = forms.CharField(label="変更内容", max_length=300, required=False)

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind == ArticleKind.TALK_SCRIPT:
            self.fields["title"].label = "題名（場面）"
            self.fields["body"].label = "トーク（話す内容）"
            self.fields["published"].label = "使用中"
        self.name_errors()


class ReportForm(NamedErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label="種類", choices=ReportKind.choices)
    day = forms.DateField(
        label="対象日",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="日次はその日、週次はその日を含む週（月曜から）、月次はその月、総括は年度（4月から3月）。",
    )
    remarks = forms.CharField(
        label="所見・業務改善提案", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()

"""Forms of the pre-delivery pages: input shape only (types, lengths); the rules are checked by the operations."""

from __future__ import annotations

from django import forms

from capmarket.calc.market import AREA_NAMES_JA, AREAS

ACTION_CHOICES = [("register", "登録"), ("change", "変更"), ("cancel", "取消")]
AREA_CHOICES = [(a, AREA_NAMES_JA[a]) for a in AREAS]


class ExpectedCapacityForm(forms.Form):
    delivery_year = forms.IntegerField(label="実需給年度", min_value=2020, max_value=2100)
    action = forms.ChoiceField(label="区分", choices=ACTION_CHOICES)
    resource_code = forms.ChoiceField(label="電源等")
    installed_capacity_kw = forms.IntegerField(
        label="設備容量（kW）", min_value=0, required=False, help_text="空欄なら登録済みの設備容量"
    )
    expected_capacity_kw = forms.IntegerField(
        label="期待容量（kW）", min_value=0, required=False, help_text="取消のときは空欄"
    )
    reason = forms.CharField(label="理由", max_length=300, required=False)

    def __init__(self, *args: object, resources: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["resource_code"].choices = resources  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    delivery_year = forms.IntegerField(label="実需給年度", min_value=2020, max_value=2100)
    file = forms.FileField(label="ファイル（CSV・Excel）")


class BidUploadForm(forms.Form):
    file = forms.FileField(label="ファイル（CSV・Excel）")


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="コメント", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class BidForm(forms.Form):
    bid_kw = forms.IntegerField(label="応札容量（kW）", min_value=1)
    price_yen_per_kw = forms.IntegerField(label="応札価格（円/kW）", min_value=0)


class CorrectionForm(forms.Form):
    note = forms.CharField(label="修正を依頼する内容", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class AuctionForm(forms.Form):
    code = forms.CharField(label="オークションID", max_length=32)
    name = forms.CharField(label="名称", max_length=200)
    kind = forms.ChoiceField(label="種別", choices=[("main", "メインオークション"), ("additional", "追加オークション")])
    delivery_year = forms.IntegerField(label="実需給年度", min_value=2020, max_value=2100)
    bid_opens_at = forms.DateTimeField(label="応札受付開始日時", help_text="例: 2026-07-01 09:00")
    bid_closes_at = forms.DateTimeField(label="応札受付終了日時", help_text="例: 2026-07-08 18:00")
    dispatch_cap_kw = forms.IntegerField(label="発動指令電源の落札上限（kW）", min_value=0, required=False)
    max_bid_price_yen_per_kw = forms.IntegerField(label="応札価格の上限（円/kW）", min_value=0, required=False)
    demand_curve = forms.CharField(
        label="需要曲線",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="1行に1点「kW,円/kW」（kWは増加、価格は非増加）",
    )
    out_of_auction = forms.CharField(
        label="オークション外の供給力",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="1行に「区分,エリア（空欄可）,kW」例: fit,tokyo,1200000",
    )
    area_minimums = forms.CharField(
        label="エリア内で必要な供給力",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="1行に「エリア,kW」例: hokkaido,5000000",
    )

    def _lines(self, name: str, width: int) -> list[list[str]]:
        out = []
        for number, raw in enumerate(str(self.cleaned_data.get(name) or "").splitlines(), start=1):
            if not raw.strip():
                continue
            cells = [c.strip() for c in raw.split(",")]
            if len(cells) != width:
                raise forms.ValidationError(f"{number}行目: 「,」で区切った{width}項目で入力してください。")
            out.append(cells)
        return out

    @staticmethod
    def _int(value: str, number: int) -> int:
        try:
            return int(value.replace("_", ""))
        except ValueError:
            raise forms.ValidationError(f"{number}行目: 整数ではありません（{value}）。") from None

    def clean_demand_curve(self) -> list[tuple[int, int]]:
        return [(self._int(k, i), self._int(p, i)) for i, (k, p) in enumerate(self._lines("demand_curve", 2), start=1)]

    def clean_out_of_auction(self) -> list[tuple[str, str, int]]:
        return [(s, a, self._int(k, i)) for i, (s, a, k) in enumerate(self._lines("out_of_auction", 3), start=1)]

    def clean_area_minimums(self) -> dict[str, int]:
        return {a: self._int(k, i) for i, (a, k) in enumerate(self._lines("area_minimums", 2), start=1)}

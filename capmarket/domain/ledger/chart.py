"""The chart of accounts of the market account (容量市場勘定): codes the postings use.

The accounts themselves are rows (installed by migration ``0003_chart_of_accounts``); this module names their
codes once. How each document, receipt and transfer posts is documented in ``docs/ledger.md``.
"""

from __future__ import annotations

from typing import Final

BANK: Final = "1110"  # 普通預金
RECEIVABLE_PROVIDERS: Final = "1310"  # 未収金（容量確保契約金精算）: providers' invoices (ペナルティ超過分)
RECEIVABLE_CONTRIBUTIONS: Final = "1320"  # 未収金（容量拠出金）: retailers' and TSOs' contribution bills
RECEIVABLE_ADDITIONAL: Final = "1330"  # 未収金（追加徴収）: annual re-billing of uncollected contributions
RECEIVABLE_EXIT_PENALTIES: Final = "1340"  # 未収金（市場退出ペナルティ）: exit-penalty invoices (migration 0004)
INPUT_TAX: Final = "1410"  # 仮払消費税
PAYABLE_PROVIDERS: Final = "2110"  # 未払金（容量確保契約金）
PAYABLE_REFUNDS: Final = "2120"  # 未払金（還元金）
DEPOSITS_RECEIVED: Final = "2310"  # 預り金（過入金）
SUSPENSE: Final = "2320"  # 仮受金: credits in the bank not yet matched (the manual queue)
OUTPUT_TAX: Final = "2410"  # 仮受消費税
TAX_PAYABLE: Final = "2420"  # 未払消費税等
NET_ASSETS_CARRIED: Final = "3100"  # 繰越収支差額
CONTRIBUTION_REVENUE_RETAILERS: Final = "4110"  # 容量拠出金収益（小売電気事業者）
CONTRIBUTION_REVENUE_TSOS: Final = "4120"  # 容量拠出金収益（一般送配電事業者）
PENALTY_REVENUE: Final = "4210"  # 経済的ペナルティ収益
EXIT_PENALTY_REVENUE: Final = "4220"  # 市場退出ペナルティ収益 (not a reduction of any instalment: 不課税)
ADDITIONAL_COLLECTION_REVENUE: Final = "4310"  # 追加徴収収益
CONTRACT_EXPENSE: Final = "5110"  # 容量確保契約金
REFUND_EXPENSE: Final = "5210"  # 還元金

#: (code, name, kind, per_company, tax_category, description) — the rows migrations 0003 and 0004 install
ACCOUNTS: Final[tuple[tuple[str, str, str, bool, str, str], ...]] = (
    (BANK, "普通預金", "asset", False, "対象外", "容量市場勘定の決済口座"),
    (
        RECEIVABLE_PROVIDERS,
        "未収金（容量確保契約金精算）",
        "asset",
        True,
        "対象外",
        "容量提供事業者への請求書（経済的ペナルティが交付額を上回る月）の未回収額",
    ),
    (
        RECEIVABLE_CONTRIBUTIONS,
        "未収金（容量拠出金）",
        "asset",
        True,
        "対象外",
        "小売電気事業者・一般送配電事業者への容量拠出金請求書の未回収額",
    ),
    (RECEIVABLE_ADDITIONAL, "未収金（追加徴収）", "asset", True, "対象外", "年次精算の追加徴収の未回収額"),
    (
        RECEIVABLE_EXIT_PENALTIES,
        "未収金（市場退出ペナルティ）",
        "asset",
        True,
        "対象外",
        "市場退出時の経済的ペナルティの請求書の未回収額",
    ),
    (INPUT_TAX, "仮払消費税", "asset", False, "対象外", "容量確保契約金（交付額）に係る消費税"),
    (PAYABLE_PROVIDERS, "未払金（容量確保契約金）", "liability", True, "対象外", "支払通知書の未払額"),
    (PAYABLE_REFUNDS, "未払金（還元金）", "liability", True, "対象外", "年次精算の還元金の未払額"),
    (DEPOSITS_RECEIVED, "預り金（過入金）", "liability", True, "対象外", "請求額を超える入金"),
    (SUSPENSE, "仮受金", "liability", False, "対象外", "消込できていない入金（入金元・充当先の確認待ち）"),
    (OUTPUT_TAX, "仮受消費税", "liability", False, "対象外", "容量拠出金に係る消費税"),
    (TAX_PAYABLE, "未払消費税等", "liability", False, "対象外", "仮受消費税と仮払消費税の差額（年次）"),
    (NET_ASSETS_CARRIED, "繰越収支差額", "net_assets", False, "対象外", "前年度までの収支差額"),
    (
        CONTRIBUTION_REVENUE_RETAILERS,
        "容量拠出金収益（小売電気事業者）",
        "revenue",
        True,
        "課税売上10%",
        "小売電気事業者への容量拠出金（税抜）",
    ),
    (
        CONTRIBUTION_REVENUE_TSOS,
        "容量拠出金収益（一般送配電事業者）",
        "revenue",
        True,
        "課税売上10%",
        "一般送配電事業者への容量拠出金（税抜）",
    ),
    (
        PENALTY_REVENUE,
        "経済的ペナルティ収益",
        "revenue",
        True,
        "課対仕入返還10%",
        "容量確保契約金から控除した経済的ペナルティ（消費税法上は対価の返還として交付額と相殺）",
    ),
    (
        EXIT_PENALTY_REVENUE,
        "市場退出ペナルティ収益",
        "revenue",
        True,
        "対象外",
        "市場退出時の経済的ペナルティ（契約解約に伴う違約金: 対価ではなく不課税）",
    ),
    (
        ADDITIONAL_COLLECTION_REVENUE,
        "追加徴収収益",
        "revenue",
        True,
        "対象外",
        "年次精算の追加徴収（不課税: 未回収の容量拠出金の消費税は当初の請求書で計上済み）",
    ),
    (CONTRACT_EXPENSE, "容量確保契約金", "expense", True, "課対仕入10%", "容量提供事業者への交付額（税抜）"),
    (REFUND_EXPENSE, "還元金", "expense", True, "対象外", "年次精算で容量拠出金の拠出者へ還元する経済的ペナルティ"),
)

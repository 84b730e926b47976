"""A small delivery year (FY2025) for settlement tests: two providers, retailers and TSOs in two areas, an
instructed slot in April and May, a tight slot, a dispatch order without baseline (a data issue)."""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, str] = {
    "case.toml": 'delivery_year = 2025\nruleset = "jp-2025"\n',
    "providers.csv": "provider_id,name\nP1,北斗電力株式会社\nP2,瀬戸エナジー株式会社\n",
    "resources.csv": (
        "resource_id,provider_id,area,resource_type,inefficient_coal\n"
        "R1,P1,tokyo,stable,false\nR2,P1,tokyo,dispatch,false\nR3,P2,kansai,stable,false\n"
    ),
    "contracts.csv": (
        "contract_id,provider_id,resource_id,price_yen_per_kw,contract_kw,assessment_kw,transitional,amount_yen\n"
        "K1,P1,R1,3495,100000,,false,\nK2,P1,R2,3495,2000,,false,\nK3,P2,R3,3495,50000,,true,\n"
    ),
    "instructions.csv": ("resource_id,date,slot,instructed_kw\nR1,2025-04-10,36,100000\nR1,2025-05-12,36,100000\n"),
    "metering.csv": ("resource_id,date,slot,metered_kwh\nR1,2025-04-10,36,50000.000\nR1,2025-05-12,36,50000.000\n"),
    "tight_slots.csv": "area,date,slot\ntokyo,2025-04-10,36\nkansai,2025-04-10,36\n",
    "generation.csv": (
        "resource_id,date,slot,upper_kw,plan_kw\n"
        "R1,2025-04-10,36,100000,90000\nR3,2025-04-10,36,50000,20000\nR3,2025-04-11,1,20000,0\n"
    ),
    "bids.csv": "resource_id,date,slot,bid_kw\nR1,2025-04-10,36,10000\nR3,2025-04-10,36,10000\n",
    "dispatch_orders.csv": "order_id,resource_id,start,end,required_kw\nD1,R2,2025-05-20 17:00,2025-05-20 20:00,\n",
    "areas.csv": (
        "area,h3_kw,price_yen_per_kw,tso_id,tso_share_rate\n"
        "tokyo,1100000,3495,TSO-tokyo,\nkansai,540000,3495,TSO-kansai,\n"
    ),
    "retailers.csv": (
        "retailer_id,area,summer_peak_kw,summer_peak_wheeling_kw,winter_peak_kw,winter_peak_wheeling_kw\n"
        "E1,tokyo,30000000,31000000,28000000,29000000\nE2,tokyo,20000000,21000000,19000000,20000000\n"
        "E3,kansai,25000000,26000000,24000000,25000000\n"
    ),
    "wheeling.csv": (
        "retailer_id,area,month,wheeling_kw\n"
        "E1,tokyo,2025-04,31000000\nE2,tokyo,2025-04,21000000\nE3,kansai,2025-04,26000000\n"
        "E1,tokyo,2025-05,31000000\nE2,tokyo,2025-05,21000000\nE3,kansai,2025-05,26000000\n"
    ),
}


def write_case(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def add_spare_resource(directory: Path) -> Path:
    """R4, a stable resource of P1 in tokyo without a contract, instructed in May (40,000 kW, 10,000 kWh metered:
    10,000 kWh short) — what a replacement of K1 (電源等差替) can move kW to."""
    additions = {
        "resources.csv": "R4,P1,tokyo,stable,false\n",
        "instructions.csv": "R4,2025-05-12,36,40000\n",
        "metering.csv": "R4,2025-05-12,36,10000.000\n",
    }
    for name, rows in additions.items():
        with (directory / name).open("a", encoding="utf-8") as f:
            f.write(rows)
    return directory

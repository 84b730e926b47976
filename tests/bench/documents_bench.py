"""Benchmark of issuing one month of documents for the full demo market: ~300 providers (payment notices and a few
invoices, penalty notices), ~700 retailers and 9 TSOs (contribution bills, some retailers in two areas) — about
1,100 PDFs — through the same use case as the staff button and ``capmarket issue-documents``.

    .venv/bin/python -m tests.bench.documents_bench [--providers 300] [--retailers 700] [--processes 2] [--sequential]

Runs on a throw-away SQLite database (or ``--database-url``) and storage folder; prints wall time of each phase
(compose, number and post; render and store the PDFs), documents per second, the PDFs' size, and peak resident
memory of this process and of the largest rendering process. By default the month is issued as the job issues it
(each chunk's PDFs rendered while the next chunk is issued); ``--sequential`` issues it all first, then renders, and
times the two phases apart. It reports figures; it asserts no times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any


def _peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the rendering pool): what the work costs whatever
    else the machine is doing (wall time depends on how busy the cores are)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _own_and_children_cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _figures(providers: list[str], retailers: list[str], tsos: dict[str, str]) -> Any:
    from capmarket.calc.market import AREAS
    from capmarket.domain.documents.composition import truncated_tax
    from capmarket.domain.documents.inputs import ContractMonth, ContributionBill, MonthFigures, PenaltyLine, Statement

    rng = random.Random(1)
    rate = Fraction(1, 10)
    statements, penalties, bills = [], [], []
    contract_no = 0
    for code in providers:
        contracts = []
        for _ in range(rng.choice([1, 1, 2, 3, 5, 8, 13])):
            contract_no += 1
            instalment = rng.randrange(1_000_000, 400_000_000)
            penalty = rng.randrange(0, instalment // 2) if rng.random() < 0.2 else 0
            if penalty and rng.random() < 0.15:
                penalty = instalment * 2  # penalties above the instalment: the provider owes (an invoice)
            cid = f"C{contract_no:05d}"
            contracts.append(
                ContractMonth(
                    cid,
                    instalment,
                    penalty,
                    resource_code=f"R{contract_no:05d}",
                    resource_name=f"発電所{contract_no}号機",
                )
            )
            if penalty:
                outage = penalty // 3
                penalties.append(PenaltyLine(code, cid, "outage", outage))
                penalties.append(PenaltyLine(code, cid, "market_bid", penalty - outage))
        inst = sum(c.instalment_yen for c in contracts)
        pen = sum(c.capped_penalty_yen for c in contracts)
        net = inst - pen
        tax = truncated_tax(amount_yen=net, rate=rate)
        total = net + tax
        statements.append(
            Statement(
                code,
                "2025-06",
                "2025-11",
                inst,
                pen,
                net,
                tax,
                0,
                total,
                "payment_notice" if total >= 0 else "invoice",
                abs(total),
                tuple(contracts),
            )
        )
    for i, code in enumerate(retailers):
        for area in rng.sample(AREAS, 2 if i % 7 == 0 else 1):
            amount = rng.randrange(100_000, 3_000_000_000)
            tax = truncated_tax(amount_yen=amount, rate=rate)
            bills.append(ContributionBill(code, "retailer", area, "2025-06", "2025-08", amount, tax, amount + tax))
    for area, code in tsos.items():
        amount = rng.randrange(50_000_000, 900_000_000)
        tax = truncated_tax(amount_yen=amount, rate=rate)
        bills.append(ContributionBill(code, "tso", area, "2025-06", "2025-08", amount, tax, amount + tax))
    return MonthFigures("bench", 2025, "2025-06", rate, True, tuple(statements), tuple(bills), tuple(penalties))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--providers", type=int, default=300)
    parser.add_argument("--retailers", type=int, default=700)
    parser.add_argument("--processes", type=int, default=None, help="rendering processes (default: 2 or the CPUs)")
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="issue the whole month first, then render (the two phases timed apart); default: render while issuing",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="capmarket-documents-bench-") as tmp:
        os.environ["CAPMARKET_VAR_DIR"] = tmp
        os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
        os.environ.setdefault("CAPMARKET_DOCUMENT_FONT_DIR", str(Path(__file__).resolve().parents[2] / "var" / "fonts"))
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from capmarket.application.documents.issuing import issue_month, render_missing
        from capmarket.calc.market import AREAS
        from capmarket.domain.accounts.models import Role, User
        from capmarket.domain.documents.models import Document, DocumentFile
        from capmarket.domain.documents.pdf import default_processes
        from capmarket.domain.registry.models import Participant

        settings.CAPMARKET_DOCUMENT_FONT_DIR = os.environ["CAPMARKET_DOCUMENT_FONT_DIR"]
        call_command("migrate", verbosity=0)
        t0 = dt.datetime(2025, 11, 4, 1, 0, tzinfo=dt.UTC)
        providers = [f"P{i:04d}" for i in range(args.providers)]
        retailers = [f"E{i:04d}" for i in range(args.retailers)]
        tsos = {area: f"T-{area}" for area in AREAS}
        bank = {"bank_code": "0001", "branch_code": "001", "account_type": "ordinary", "account_number": "1234567"}
        rows = (
            [
                Participant(
                    participant_code=c,
                    name=f"ベンチ発電{c}株式会社",
                    name_kana="ﾍﾞﾝﾁ",
                    is_provider=True,
                    address="東京都千代田区丸の内1-1-1",
                    invoice_registration_no="T7010405010990",
                    account_holder_kana="ﾍﾞﾝﾁﾊﾂﾃﾞﾝ(ｶ",
                    email=f"{c.lower()}@example.jp",
                    created_at=t0,
                    updated_at=t0,
                    **bank,
                )
                for c in providers
            ]
            + [
                Participant(
                    participant_code=c,
                    name=f"ベンチでんき{c}株式会社",
                    name_kana="ﾍﾞﾝﾁ",
                    is_retailer=True,
                    address="大阪府大阪市北区1-1",
                    email=f"{c.lower()}@example.jp",
                    created_at=t0,
                    updated_at=t0,
                )
                for c in retailers
            ]
            + [
                Participant(
                    participant_code=c,
                    name=f"{area}送配電株式会社",
                    name_kana="ﾍﾞﾝﾁ",
                    is_tso=True,
                    tso_area=area,
                    email=f"{area}@example.jp",
                    created_at=t0,
                    updated_at=t0,
                )
                for area, c in tsos.items()
            ]
        )
        Participant.objects.bulk_create(rows)
        actor = User.objects.create(username="bench-operator", role=Role.OPERATOR)
        figures = _figures(providers, retailers, tsos)
        processes = args.processes or default_processes()
        print(
            f"documents bench: {len(figures.statements)} statements, {len(figures.contribution_bills)} contribution "
            f"bills, {len(figures.penalty_lines)} penalty lines; {processes} rendering processes; "
            f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}",
            flush=True,
        )

        own0, children0 = _own_and_children_cpu()
        if args.sequential:
            start, cpu = time.perf_counter(), _cpu_seconds()
            outcome = issue_month(figures=figures, actor=actor, now=t0, render=False, send_mail=False)
            issued, issued_cpu = time.perf_counter() - start, _cpu_seconds() - cpu
            label = f"compose, number, post ({outcome.issued} documents)"
            print(
                f"{label:<48} {issued:8.2f} s   CPU {issued_cpu:7.1f} s   peak RSS {_peak_mib():6.0f} MiB", flush=True
            )
            documents = list(Document.objects.all())
            start, cpu = time.perf_counter(), _cpu_seconds()
            rendered = render_missing(documents=documents, now=t0, processes=processes)
            elapsed, render_cpu = time.perf_counter() - start, _cpu_seconds() - cpu
            label = f"render and store {rendered} PDFs"
        else:  # as the job does it: each chunk's PDFs rendered while the next chunk is issued
            issued = issued_cpu = 0.0
            start, cpu = time.perf_counter(), _cpu_seconds()
            outcome = issue_month(
                figures=figures, actor=actor, now=t0, render=True, processes=processes, send_mail=False
            )
            elapsed, render_cpu = time.perf_counter() - start, _cpu_seconds() - cpu
            rendered = outcome.rendered
            label = f"issue {outcome.issued} documents, render and store {rendered} PDFs"
        sizes = list(DocumentFile.objects.values_list("size_bytes", flat=True))
        print(
            f"{label:<48} {elapsed:8.2f} s   CPU {render_cpu:7.1f} s   peak RSS {_peak_mib():6.0f} MiB "
            f"(largest renderer {_peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB)",
            flush=True,
        )
        own, children = _own_and_children_cpu()
        print(
            f"{'  of which this process / the renderers':<48} CPU {own - own0:7.1f} s / {children - children0:.1f} s",
            flush=True,
        )
        total, total_cpu = issued + elapsed, issued_cpu + render_cpu
        print(
            f"{'total':<48} {total:8.2f} s   CPU {total_cpu:7.1f} s   {rendered / total:.1f} documents/s; "
            f"{1000 * total_cpu / max(1, rendered):.0f} ms CPU per document; PDFs {sum(sizes) / 2**20:.0f} MiB, "
            f"mean {sum(sizes) / max(1, len(sizes)) / 1024:.0f} KiB",
            flush=True,
        )
        print(
            f"{'(with both cores free, about)':<48} {total_cpu / processes:8.0f} s (CPU / {processes} processes)",
            flush=True,
        )

        start = time.perf_counter()
        again = issue_month(figures=figures, actor=actor, now=t0, render=True, send_mail=False, processes=processes)
        print(
            f"{'the same month again (nothing new)':<48} {time.perf_counter() - start:8.2f} s   "
            f"issued {again.issued}, rendered {again.rendered}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

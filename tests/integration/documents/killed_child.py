"""Child process of the killed-worker test: issues month 2025-12 of random-fy2025-a in chunks of 5, announcing
each committed chunk on stdout and pausing after it, until the test kills it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
    django.setup()
    from django.utils import timezone

    from capmarket.application.documents import figures
    from capmarket.application.documents.issuing import issue_month
    from capmarket.domain.accounts.models import User
    from tests.integration.documents import scenario as sc

    s = sc.load(Path(sys.argv[1]))
    month = figures.month_figures(
        run_ref="killed",
        delivery_year=s.delivery_year,
        delivery_month="2025-12",
        outputs=s.outputs,
        contracts=s.contracts,
        tax_rate=s.params.tax_rate,
        contributions_taxable=s.params.contributions_taxable,
    )

    def progress(done: int, total: int | None, message: str = "") -> None:
        print(f"progress {done} {total}", flush=True)
        time.sleep(0.4)

    issue_month(
        figures=month,
        actor=User.objects.get(username=sys.argv[2]),
        now=timezone.now(),
        progress=progress,
        render=False,
        send_mail=False,
        chunk_size=5,
    )
    print("finished", flush=True)


if __name__ == "__main__":
    main()

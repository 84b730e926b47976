"""``capmarket tls-front --ca-dir DIR [--upstream 127.0.0.1:8000] [--port 8443]``

Runs Debian's nginx in the foreground as the TLS front of a local server, configured from ``deploy/nginx/`` as in
production: TLS with the server certificate of ``capmarket make-test-ca``, client certificates verified against its
CA, passed to the application with the shared secret ``CAPMARKET_CLIENT_CERT_PROXY_SECRET`` (from the
environment; the application server must have the same). Stops on Ctrl-C. For trying client certificates on this
machine (README, "Access"); production runs nginx from its own configuration.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from capmarket.interfaces.cli.tls_front import nginx_path, running_tls_front


class Command(BaseCommand):
    help = "Run nginx as a local TLS front with client-certificate verification (for trying it out)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ca-dir", required=True, help="the folder of capmarket make-test-ca")
        parser.add_argument("--upstream", default="127.0.0.1:8000")
        parser.add_argument("--port", type=int, default=8443)

    def handle(self, *args: Any, **options: Any) -> None:
        secret = os.environ.get("CAPMARKET_CLIENT_CERT_PROXY_SECRET", "")
        if len(secret) < 32:
            raise CommandError("CAPMARKET_CLIENT_CERT_PROXY_SECRET（32文字以上）を設定してください。", returncode=2)
        if nginx_path() is None:
            raise CommandError("nginx がありません（apt-get install nginx）。", returncode=2)
        folder = Path(options["ca_dir"])
        for name in ("ca.crt", "server.crt", "server.key"):
            if not (folder / name).exists():
                raise CommandError(f"{folder / name} がありません（capmarket make-test-ca で作成）。", returncode=2)

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt  # SIGTERM too: leave through the context manager, which stops nginx

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            with running_tls_front(
                upstream=options["upstream"],
                ca=folder / "ca.crt",
                cert=folder / "server.crt",
                key=folder / "server.key",
                secret=secret,
                port=options["port"],
            ) as front:
                self.stderr.write(f"TLSフロント: {front.base_url}/ → http://{options['upstream']}（Ctrl-Cで終了）")
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            return
        except RuntimeError as exc:
            raise CommandError(str(exc).splitlines()[0], returncode=1) from None

"""``capmarket make-test-ca DIR --client CODE:NAME [--client …] [--expired CODE:NAME] [--server-name HOST]``

Makes (or reuses) a local test certificate authority in DIR and issues a server certificate and client certificates
(one per client machine of a company: ``<CODE>-<NAME>.crt/.key/.p12``) with the ``cryptography`` package, plus
``client-certificates.csv`` — the 710 file that registers them (``capmarket import-client-certificates``). For trying
client certificates on this machine and for tests; production certificates come from the authority the operator
names. Standard output: one line per client, ``CODE<TAB>NAME<TAB>SHA-256<TAB>PKCS#12 file``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from capmarket.domain.access.local_ca import ClientSpec, make_local_ca


def _spec(value: str, *, expired: bool) -> ClientSpec:
    code, sep, name = value.partition(":")
    if not sep or not code.strip() or not name.strip():
        raise CommandError(
            f"--client/--expired には 事業者コード:クライアント名 を指定してください（{value}）", returncode=2
        )
    return ClientSpec(code.strip(), name.strip(), expired=expired)


class Command(BaseCommand):
    help = "Make a local test CA with server and client certificates (not for production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder")
        parser.add_argument("--client", action="append", default=[], help="CODE:NAME, repeatable")
        parser.add_argument("--expired", action="append", default=[], help="CODE:NAME of an already expired client")
        parser.add_argument("--server-name", action="append", default=[], help="extra host name of the TLS front")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--p12-password", default="capmarket")

    def handle(self, *args: Any, **options: Any) -> None:
        clients = [_spec(v, expired=False) for v in options["client"]]
        clients += [_spec(v, expired=True) for v in options["expired"]]
        if options["days"] < 1:
            raise CommandError("--days は1以上を指定してください。", returncode=2)
        try:
            ca = make_local_ca(
                folder=Path(options["folder"]),
                clients=clients,
                server_names=options["server_name"],
                days=options["days"],
                p12_password=options["p12_password"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(f"{type(exc).__name__}: {exc}".splitlines()[0], returncode=1) from None
        self.stderr.write(
            f"テスト用認証局: {ca.ca_cert_path}（本番では使用しないでください）\n"
            f"サーバ証明書: {ca.server_cert_path}\n登録用ファイル（710）: {ca.register_csv_path}\n"
            f"PKCS#12 のパスワード: {ca.p12_password}"
        )
        for client in ca.clients:
            self.stdout.write(
                f"{client.spec.participant_code}\t{client.spec.client_name}\t{client.fingerprint_sha256}\t{client.p12_path}"
            )

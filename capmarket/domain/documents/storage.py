"""Where document PDFs live: Django's storage API, written once, read back only when their SHA-256 matches.

The storage alias ``documents`` is used when configured (``settings.STORAGES``), else the default storage.
A name is never overwritten and never deleted through this module; the file-system storage of the embedded
default writes files read-only (``file_permissions_mode`` 0o444). Object storage in production should add its
own write-once setting (e.g. S3 Object Lock).
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage, storages


class UnableToStorePdf(Exception):
    """The name is taken already (a PDF is never replaced)."""


class PdfTampered(Exception):
    """The stored bytes do not match the SHA-256 recorded when the document's PDF was stored."""


def document_storage() -> Storage:
    try:
        return storages["documents"]
    except Exception:  # no alias configured: the default storage
        return default_storage


def sha256_of(*, data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_once(*, name: str, data: bytes) -> str:
    """Store ``data`` under exactly ``name``; refuse when the name exists. Returns the name."""
    storage = document_storage()
    if storage.exists(name):
        raise UnableToStorePdf(f"{name} exists already")
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        raise UnableToStorePdf(f"{name} was stored as {saved}")
    return saved


def read_verified(*, name: str, sha256: str) -> bytes:
    with document_storage().open(name, "rb") as handle:
        data = handle.read()
    if sha256_of(data=data) != sha256:
        raise PdfTampered(f"{name}: SHA-256 differs from the one recorded")
    return bytes(data)

"""Signals of the accounts context.

``credentials_revoked`` is sent (inside the transaction that locks the account, resets or changes its password)
after the account's ``credentials_version`` was raised. The web sessions die by themselves (their auth hash no
longer matches); the API, whose tokens the domain does not know, deletes the account's tokens in its receiver.
"""

from __future__ import annotations

from django.dispatch import Signal

credentials_revoked = Signal()  # kwargs: user (the account), reason (str)

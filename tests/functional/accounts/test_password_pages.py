"""The password pages: self-service change (audited, session kept), policy errors shown, forced change (the policy
itself is tested in ``tests/integration/accounts/test_passwords.py``)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from capmarket.domain.accounts.models import User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from tests.factories import PASSWORD


def test_change_through_the_page_is_audited_and_keeps_the_session(client: Client, company_user: User) -> None:
    client.force_login(company_user)

    response = client.post(
        reverse("web:password_change"),
        {
            "old_password": PASSWORD,
            "new_password": "Brand-New-Pass-2025",
            "new_password_confirm": "Brand-New-Pass-2025",
        },
    )

    assert response.status_code == 302
    company_user.refresh_from_db()
    assert company_user.check_password("Brand-New-Pass-2025")
    assert AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED, actor=company_user).count() == 1
    assert client.get(reverse("web:portal")).status_code == 200


def test_page_shows_policy_errors_and_saves_nothing(client: Client, company_user: User) -> None:
    client.force_login(company_user)

    response = client.post(
        reverse("web:password_change"),
        {"old_password": PASSWORD, "new_password": "short", "new_password_confirm": "short"},
    )

    assert response.status_code == 200
    assert "短すぎ" in response.content.decode()
    company_user.refresh_from_db()
    assert company_user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED).exists()


def test_must_change_password_confines_the_user_to_the_change_page(client: Client, company_user: User) -> None:
    User.objects.filter(pk=company_user.pk).update(must_change_password=True)
    client.post(reverse("web:login"), {"username": "east-user", "password": PASSWORD})

    assert client.get(reverse("web:portal"))["Location"] == reverse("web:password_change")
    assert client.get(reverse("web:notice_list"))["Location"] == reverse("web:password_change")
    assert client.get(reverse("web:password_change")).status_code == 200

    client.post(
        reverse("web:password_change"),
        {
            "old_password": PASSWORD,
            "new_password": "Brand-New-Pass-2025",
            "new_password_confirm": "Brand-New-Pass-2025",
        },
    )

    company_user.refresh_from_db()
    assert not company_user.must_change_password
    assert client.get(reverse("web:portal")).status_code == 200

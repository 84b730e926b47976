"""Accounts in a real headless Chromium: login to the portal, lockout, a participant administrator issuing a user
who must change the temporary password at first login."""

from __future__ import annotations

from typing import Any

import pytest

from capmarket.domain.accounts.models import Role, User
from capmarket.domain.notices.models import Audience, Notice
from tests.factories import PASSWORD, T0, make_participant, make_user
from tests.functional.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_with_the_form_shows_the_portal_with_a_notice(page: Any) -> None:
    company = make_participant(name="ブラウザ電力株式会社")
    make_user(Role.PARTICIPANT_USER, company, username="browser-user", email="b@example.jp")
    Notice.objects.create(title="容量拠出金の請求について", body="本文", audience=Audience.PROVIDERS, published_at=T0)
    Notice.objects.create(title="小売向けのお知らせ", body="本文", audience=Audience.RETAILERS, published_at=T0)

    login(page, "browser-user", PASSWORD)

    assert page.locator("h1").inner_text() == "ポータルトップ"
    assert "ブラウザ電力株式会社" in page.locator(".whoami").inner_text()
    notices = page.locator("#notices").inner_text()
    assert "容量拠出金の請求について" in notices
    assert "小売向けのお知らせ" not in notices
    page.click("text=容量拠出金の請求について")
    assert page.locator("h1").inner_text() == "容量拠出金の請求について"


def test_five_wrong_passwords_shut_this_browser_out_for_a_while(page: Any) -> None:
    company = make_participant()
    make_user(Role.PARTICIPANT_USER, company, username="careless", email="c@example.jp")

    for _ in range(5):
        login(page, "careless", "Wrong-Password-1")
        assert "ユーザIDまたはパスワードが正しくないか" in page.locator(".errornote").inner_text()
    login(page, "careless", PASSWORD)

    assert "ログインが制限されています" in page.locator(".errornote").inner_text()  # the throttle, same answer
    assert not User.objects.get(username="careless").is_locked  # a stranger cannot lock the owner out


def test_participant_admin_issues_a_user_who_must_change_the_password(page: Any) -> None:
    company = make_participant(name="発行テスト株式会社")
    make_user(Role.PARTICIPANT_ADMIN, company, username="kanri", email="kanri@example.jp")

    login(page, "kanri", PASSWORD)
    page.click("nav >> text=ユーザ情報管理")
    page.click("text=ユーザ発行")
    page.fill("input[name=username]", "tanaka")
    page.fill("input[name=full_name]", "田中 一郎")
    page.fill("input[name=email]", "tanaka@example.jp")
    page.select_option("select[name=role]", "participant_user")
    page.click("button:has-text('発行する')")
    temporary = page.locator("#temporary-password").inner_text().strip()
    page.click("button:has-text('ログアウト')")

    login(page, "tanaka", temporary)
    assert page.url.endswith("/password/")
    page.goto(f"{page.base_url}/")  # the portal is out of reach until the password is changed
    assert page.url.endswith("/password/")
    page.fill("input[name=old_password]", temporary)
    page.fill("input[name=new_password]", "Tanaka-Own-Pass-42")
    page.fill("input[name=new_password_confirm]", "Tanaka-Own-Pass-42")
    page.click("button:has-text('変更する')")

    assert page.locator("h1").inner_text() == "ポータルトップ"
    assert "発行テスト株式会社" in page.locator(".whoami").inner_text()
    user = User.objects.get(username="tanaka")
    assert not user.must_change_password
    assert user.participant == company

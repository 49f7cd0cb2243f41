"""Sign-in defences (issue 12, finding 1): failed sign-ins on the sign-in page, the admin and the API's token
check lock out the account and the address; a locked-out user is told; an admin unlocks; a forgotten
password is reset by mail."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.urls import reverse

from annotations.models import ApiToken, User
from annotations.roles import Role
from tests.factories import UserFactory

PASSWORD = "correct horse battery"
LIMIT = 5


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def staff(db) -> User:
    user = UserFactory.create(username="chief", role=Role.ADMIN, is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def member(db) -> User:
    user = UserFactory.create(username="reporter", role=Role.EDITOR, email="reporter@example.org")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(username: str, password: str, address: str = "192.0.2.1", path: str = "/accounts/login/"):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def test_wrong_passwords_lock_the_account_out_even_with_the_right_password(member):
    for _ in range(LIMIT - 1):
        assert sign_in("reporter", "wrong").status_code == 200  # the form again, with its error
    locked = sign_in("reporter", "wrong")
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert "Too many failed sign-ins" in locked.content.decode()
    # The right password no longer works, from this address or any other, until the cool-off or an admin.
    assert sign_in("reporter", PASSWORD).status_code == 429
    assert sign_in("reporter", PASSWORD, address="198.51.100.7").status_code == 429


def test_wrong_passwords_from_one_address_lock_that_address_out_for_every_account(member, staff):
    for number in range(LIMIT):
        sign_in(f"nobody{number}", "wrong", address="203.0.113.9")
    assert sign_in("reporter", PASSWORD, address="203.0.113.9").status_code == 429
    # Another address signs the same account in: it is the address that is locked, not the account.
    assert sign_in("reporter", PASSWORD, address="198.51.100.7").status_code == 302


def test_the_admin_sign_in_is_counted_too(staff):
    for _ in range(LIMIT):
        sign_in("chief", "wrong", path="/admin/login/")
    response = sign_in("chief", PASSWORD, path="/admin/login/?next=/admin/")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_a_right_password_before_the_limit_clears_the_count(member):
    for _ in range(LIMIT - 1):
        sign_in("reporter", "wrong")
    assert sign_in("reporter", PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        sign_in("reporter", "wrong")
    assert sign_in("reporter", PASSWORD).status_code == 302


def test_an_admin_unlocks_an_account_from_the_users_list(member, staff):
    for _ in range(LIMIT):
        sign_in("reporter", "wrong", address="198.51.100.7")
    assert sign_in("reporter", PASSWORD).status_code == 429
    admin = Client()
    admin.force_login(staff)
    response = admin.post(
        reverse("admin:annotations_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [member.pk]},
        follow=True,
    )
    assert "Unlocked 1 account(s)" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="reporter").exists()
    assert sign_in("reporter", PASSWORD).status_code == 302


def test_the_admin_lists_access_attempts_to_delete(member, staff):
    sign_in("reporter", "wrong")
    admin = Client()
    admin.force_login(staff)
    page = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200
    assert "reporter" in page.content.decode()


def test_random_bearer_tokens_lock_the_address_out_of_the_api(member):
    _, raw = ApiToken.issue(member, name="sync")
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    statuses = [
        guesser.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Bearer guess{number}").status_code
        for number in range(LIMIT + 3)
    ]
    assert statuses[: LIMIT - 1] == [401] * (LIMIT - 1)
    assert set(statuses[LIMIT - 1 :]) == {429}
    locked = guesser.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert locked.status_code == 429  # even a right guess, once locked out
    body = locked.json()["error"]
    assert body["code"] == "locked_out"
    assert "Too many failed sign-ins" in body["message"]
    assert int(locked["Retry-After"]) > 0
    # Tools elsewhere keep working: the lockout is by address.
    other = Client(REMOTE_ADDR="198.51.100.8").get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert other.status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_counted(settings, member):
    settings.TRUSTED_PROXIES = 1
    for _ in range(LIMIT):
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.77").post(
            "/accounts/login/", {"username": "x", "password": "wrong"}
        )
    assert AccessAttempt.objects.filter(ip_address="203.0.113.77").exists()
    # The proxy's own address is not locked: another client behind it signs in.
    response = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.3").post(
        "/accounts/login/", {"username": "reporter", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_a_forgotten_password_is_reset_by_mail(member):
    client = Client()
    assert "Forgotten your password?" in client.get("/accounts/login/").content.decode()
    response = client.post("/accounts/password_reset/", {"email": "reporter@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body
    form = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a fresh passphrase 42", "new_password2": "a fresh passphrase 42"},
    )
    assert done.status_code == 302
    assert sign_in("reporter", "a fresh passphrase 42").status_code == 302
    assert sign_in("reporter", PASSWORD).status_code == 200  # the old one no longer works
    # The link works once.
    assert "has been used or has expired" in client.get(link.group(1), follow=True).content.decode()


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(member):
    response = Client().post("/accounts/password_reset/", {"email": "stranger@example.org"}, follow=True)
    assert "If an account has that address" in response.content.decode()
    assert mail.outbox == []


def test_a_signed_in_user_changes_their_password(member):
    client = Client()
    client.force_login(member)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another passphrase 7",
            "new_password2": "another passphrase 7",
        },
    )
    assert response.status_code == 302
    assert sign_in("reporter", "another passphrase 7").status_code == 302

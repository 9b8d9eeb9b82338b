"""Logging in and out: lockout after repeated failures, idle expiry, password rules."""
from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse

from conftest import PASSWORD
from org.models import LoginAttempt, LoginThrottle, User
from org.security import client_ip

# Tests that ask for `clock` run at conftest's moment, 15 May 2026 10:00 in the district.
LOCKED = "登录失败次数过多，账号已锁定，请 15 分钟后再试。"


def login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        response = login(client, username, "wrong-password")
        assert response.status_code == 200
        assert "请输入一个正确的" in response.content.decode()


class TestLogin:
    def test_it_works(self, personas: dict[str, User], clock: time_machine.Traveller) -> None:
        client = Client()
        assert client.get(reverse("login")).status_code == 200
        response = login(client, "office", PASSWORD)
        # To the site's root, which sends each role to its home: the office to the ledger, a leader to theirs.
        assert (response.status_code, response["Location"]) == (302, "/")
        assert client.get("/")["Location"] == reverse("projects:ledger")
        assert logged_in(client)
        attempt = LoginAttempt.objects.get()
        assert (attempt.username, attempt.ip, attempt.succeeded) == ("office", "127.0.0.1", True)
        # Once in, the login page sends the user on.
        assert client.get(reverse("login"))["Location"] == "/"

    def test_it_follows_next_within_the_site_only(
        self, personas: dict[str, User], clock: time_machine.Traveller
    ) -> None:
        client = Client()
        response = client.post(reverse("login") + "?next=/projects/map/", {"username": "office", "password": PASSWORD,
                                                                            "next": "/projects/map/"})
        assert response["Location"] == "/projects/map/"
        client = Client()
        response = client.post(reverse("login"), {"username": "office", "password": PASSWORD,
                                                  "next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_a_page_without_login_sends_to_login(self, db: Any) -> None:
        response = Client().get(reverse("projects:ledger"))
        assert response["Location"] == reverse("login") + "?next=/projects/"

    def test_a_wrong_password_is_recorded(self, personas: dict[str, User], clock: time_machine.Traveller) -> None:
        client = Client()
        fail(client, "Office", 1)
        assert not logged_in(client)
        attempt = LoginAttempt.objects.get()
        assert (attempt.username, attempt.succeeded) == ("office", False)


class TestLockout:
    def test_it_locks_after_the_failures_even_with_the_right_password(
        self, personas: dict[str, User], clock: time_machine.Traveller
    ) -> None:
        client = Client()
        fail(client, "office", settings.LOGIN_MAX_FAILURES)
        with mock.patch.object(ModelBackend, "authenticate", autospec=True) as authenticate:
            response = login(client, "office", PASSWORD)
        assert response.status_code == 429
        body = response.content.decode()
        assert LOCKED in body
        assert 'value="office"' in body  # the name stays in the box
        assert not logged_in(client)
        authenticate.assert_not_called()  # while locked the password is not even checked
        # Other accounts are not affected, and neither is a fresh client for the same name.
        assert login(Client(), "viewer", PASSWORD).status_code == 302
        assert login(Client(), "office", PASSWORD).status_code == 429

    def test_the_user_name_is_matched_without_case(
        self, personas: dict[str, User], clock: time_machine.Traveller
    ) -> None:
        client = Client()
        fail(client, "OFFICE", 2)
        fail(client, " office", settings.LOGIN_MAX_FAILURES - 2)
        assert login(client, "office", PASSWORD).status_code == 429

    def test_one_failure_less_is_not_locked(self, personas: dict[str, User], clock: time_machine.Traveller) -> None:
        client = Client()
        fail(client, "office", settings.LOGIN_MAX_FAILURES - 1)
        assert login(client, "office", PASSWORD).status_code == 302

    def test_it_unlocks_after_the_lockout_time(self, personas: dict[str, User], clock: time_machine.Traveller) -> None:
        client = Client()
        fail(client, "office", settings.LOGIN_MAX_FAILURES)
        clock.shift(dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS - 5))
        assert login(client, "office", PASSWORD).status_code == 429
        clock.shift(dt.timedelta(seconds=10))
        response = login(client, "office", PASSWORD)
        assert response.status_code == 302
        assert logged_in(client)

    def test_a_success_resets_the_count(self, personas: dict[str, User], clock: time_machine.Traveller) -> None:
        client = Client()
        fail(client, "office", settings.LOGIN_MAX_FAILURES - 1)
        clock.shift(dt.timedelta(seconds=1))
        assert login(client, "office", PASSWORD).status_code == 302
        client.post(reverse("logout"))
        clock.shift(dt.timedelta(seconds=1))
        fail(client, "office", settings.LOGIN_MAX_FAILURES - 1)
        assert login(client, "office", PASSWORD).status_code == 302

    def test_the_limits_come_from_settings(
        self, personas: dict[str, User], clock: time_machine.Traveller, settings: Any
    ) -> None:
        settings.LOGIN_MAX_FAILURES = 2
        settings.LOGIN_LOCKOUT_SECONDS = 90
        client = Client()
        fail(client, "office", 2)
        response = login(client, "office", PASSWORD)
        assert response.status_code == 429
        assert "请 2 分钟后再试" in response.content.decode()  # 90 seconds, rounded up
        clock.shift(dt.timedelta(seconds=91))
        assert login(client, "office", PASSWORD).status_code == 302

    def test_one_address_trying_many_names_is_stopped(
        self, personas: dict[str, User], clock: time_machine.Traveller
    ) -> None:
        attacker = Client(REMOTE_ADDR="10.0.0.9")
        per_name = settings.LOGIN_MAX_FAILURES - 1  # no single name reaches its own limit
        for i in range(settings.LOGIN_MAX_FAILURES * 4):
            fail(attacker, f"guess{i // per_name}", 1)
        assert LoginAttempt.objects.filter(ip="10.0.0.9").count() == settings.LOGIN_MAX_FAILURES * 4
        response = login(attacker, "viewer", PASSWORD)
        assert response.status_code == 429
        assert LOCKED in response.content.decode()
        assert login(Client(REMOTE_ADDR="10.0.0.10"), "viewer", PASSWORD).status_code == 302

    def test_a_forwarded_for_header_does_not_dodge_the_address_limit(
        self, personas: dict[str, User], clock: time_machine.Traveller
    ) -> None:
        for i in range(settings.LOGIN_MAX_FAILURES * 4):
            client = Client(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
            fail(client, f"guess{i}", 1)
        client = Client(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="192.0.2.200")
        assert login(client, "viewer", PASSWORD).status_code == 429


class TestLogoutAndSessions:
    def test_logout_is_a_post(self, personas: dict[str, User]) -> None:
        client = Client()
        client.force_login(personas["office"])
        assert client.get(reverse("logout")).status_code == 405
        assert logged_in(client)
        response = client.post(reverse("logout"))
        assert (response.status_code, response["Location"]) == (302, reverse("login"))
        assert not logged_in(client)
        assert client.get(reverse("projects:ledger"))["Location"].startswith(reverse("login"))

    def test_the_session_settings(self) -> None:
        assert settings.SESSION_COOKIE_AGE == 30 * 60
        assert settings.SESSION_SAVE_EVERY_REQUEST is True
        assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
        assert settings.SESSION_COOKIE_HTTPONLY is True

    def test_an_idle_session_expires_and_an_active_one_does_not(
        self, personas: dict[str, User], clock: time_machine.Traveller
    ) -> None:
        client = Client()
        assert login(client, "office", PASSWORD).status_code == 302
        ledger = reverse("projects:ledger")
        for _ in range(3):  # a request every 25 minutes keeps the session alive past 30 minutes
            clock.shift(dt.timedelta(minutes=25))
            assert client.get(ledger).status_code == 200
        clock.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        response = client.get(ledger)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class TestPasswordRules:
    @pytest.mark.parametrize(
        ("password", "code"),
        [
            ("Ab3$xy", "password_too_short"),
            ("qwertyuiop", "password_too_common"),
            ("7305918264", "password_entirely_numeric"),
            ("reporter-zhang", "password_too_similar"),
        ],
    )
    def test_weak_passwords_are_refused(self, password: str, code: str, personas: dict[str, User]) -> None:
        user = User(username="reporter-zhang", full_name="张三")
        with pytest.raises(ValidationError) as caught:
            validate_password(password, user)
        assert code in {error.code for error in caught.value.error_list}

    def test_a_good_password_passes(self, db: Any) -> None:
        validate_password("调度-Tiao9du-2026", User(username="office2"))


class TestLockoutRaces:
    def test_concurrent_wrong_passwords_get_exactly_the_limit(
        self, personas: dict[str, User], clock: time_machine.Traveller
    ) -> None:
        """Each attempt arrives while the one before is still checking its password, as on deadline day.

        The attempts nest (the next one is sent from inside the previous password check), so every one
        is in flight before any has finished: only a counter taken before the check can stop the extra one.
        """
        real = ModelBackend.authenticate
        statuses: list[int] = []
        attempts = settings.LOGIN_MAX_FAILURES + 1

        def slow_check(backend: ModelBackend, request: Any, **credentials: Any) -> Any:
            if started[0] < attempts:
                started[0] += 1
                statuses.append(login(Client(), "office", "wrong-password").status_code)
            return real(backend, request, **credentials)

        started = [1]
        with mock.patch.object(ModelBackend, "authenticate", autospec=True, side_effect=slow_check):
            statuses.append(login(Client(), "office", "wrong-password").status_code)
        assert sorted(statuses) == [200] * settings.LOGIN_MAX_FAILURES + [429]
        assert login(Client(), "office", PASSWORD).status_code == 429

    def test_old_attempts_are_cleaned_up(self, personas: dict[str, User], clock: time_machine.Traveller) -> None:
        fail(Client(), "office", 2)
        fail(Client(REMOTE_ADDR="10.0.0.7"), "viewer", 1)
        assert LoginThrottle.objects.count() == 4  # two names and two addresses
        clock.shift(dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS + 1))
        fail(Client(), "leader", 1)
        assert list(LoginAttempt.objects.values_list("username", flat=True)) == ["leader"]
        assert sorted(LoginThrottle.objects.values_list("key", flat=True)) == ["ip:127.0.0.1", "user:leader"]


PROXY = "10.0.0.1"


class TestBehindAProxy:
    @pytest.fixture(autouse=True)
    def proxy(self, settings: Any) -> None:
        settings.DIAODU_TRUSTED_PROXIES = [PROXY, "10.0.1.0/24"]

    def test_one_office_behind_the_proxy_does_not_lock_out_the_district(
        self, personas: dict[str, User], clock: time_machine.Traveller
    ) -> None:
        for i in range(settings.LOGIN_MAX_FAILURES * 4):
            client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
            fail(client, f"guess{i}", 1)
        colleague = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.200")
        assert login(colleague, "viewer", PASSWORD).status_code == 302
        assert LoginAttempt.objects.filter(succeeded=True).get().ip == "192.0.2.200"

    def test_one_address_behind_the_proxy_is_still_stopped(
        self, personas: dict[str, User], clock: time_machine.Traveller
    ) -> None:
        for i in range(settings.LOGIN_MAX_FAILURES * 4):
            # The attacker writes its own X-Forwarded-For; the proxy appends the address it saw.
            client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 192.0.2.9")
            fail(client, f"guess{i}", 1)
        client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.250, 192.0.2.9")
        assert login(client, "viewer", PASSWORD).status_code == 429

    @pytest.mark.parametrize(
        ("remote", "forwarded", "client_address"),
        [
            (PROXY, "192.0.2.5", "192.0.2.5"),
            (PROXY, "203.0.113.1, 192.0.2.5", "192.0.2.5"),  # the left entries are the client's own words
            (PROXY, "192.0.2.5, 10.0.1.7", "192.0.2.5"),  # two proxies in a row (a trusted network)
            (PROXY, "", PROXY),
            (PROXY, "not-an-address", PROXY),
            (PROXY, "10.0.1.7", PROXY),  # nothing but proxies
            ("192.0.2.77", "192.0.2.5", "192.0.2.77"),  # not from a proxy: the header is ignored
        ],
    )
    def test_the_client_address(self, remote: str, forwarded: str, client_address: str) -> None:
        request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
        assert client_ip(request) == client_address


def test_the_admin_login_goes_through_the_lockout(personas: dict) -> None:
    """Django admin's own login form would let anyone guess passwords without a lockout."""
    from django.test import Client

    client = Client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "wrong"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    # Anonymous visits to other admin pages land on the locked-down login too.
    assert client.get("/admin/").headers["Location"].startswith("/admin/login/")


def test_a_leader_who_logs_in_lands_on_the_leader_home(personas: dict[str, User]) -> None:
    client = Client()
    response = login(client, "leader", PASSWORD)
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == reverse("dispatch:leader_home")

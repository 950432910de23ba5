"""Login lockouts count failures against the real client address (behind the proxy, the
one it appended to X-Forwarded-For, whatever a client forges before it) and lock an
address that tries passwords over many usernames, at a higher limit than one pair."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "right-Passphrase-7"
PROXY = "10.0.0.2"  # the TLS proxy in front of the web process


@pytest.fixture
def behind_proxy(settings):
    settings.SOULEVAL_PROXY_HOPS = 1


def login(client, username: str, password: str, *, client_address: str, forged: str = ""):
    """A login through the proxy: it appends the address it sees to what the client sent."""
    forwarded = f"{forged}, {client_address}" if forged else client_address
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_forged_forwarded_headers_lock_out_only_the_attacker(client, behind_proxy):
    UserFactory(username="victim", password=RIGHT)
    victim_address, attacker = "198.51.100.7", "203.0.113.9"
    for attempt in range(5):
        # The attacker claims to be the victim's address, and a different one each time.
        forged = f"{victim_address}, 192.0.2.{attempt}"
        answer = login(client, "victim", "guess", client_address=attacker, forged=forged)
        assert answer.status_code == (429 if attempt == 4 else 200)
    # Locked: the attacker's own address, whatever it forges.
    assert login(client, "victim", RIGHT, client_address=attacker).status_code == 429
    assert (
        login(client, "victim", RIGHT, client_address=attacker, forged="1.1.1.1").status_code == 429
    )
    # The victim, from their own address or anywhere else, is not.
    for address in (victim_address, "192.0.2.200", PROXY):
        client.logout()
        assert login(client, "victim", RIGHT, client_address=address).status_code == 302


def test_failures_behind_the_proxy_never_add_up_on_the_proxy_address(client, behind_proxy):
    UserFactory(username="rater", password=RIGHT)
    # Thirty people mistype once each, from thirty addresses, through the same proxy.
    for number in range(30):
        login(client, f"user{number}", "typo", client_address=f"198.51.100.{number + 1}")
    assert login(client, "rater", RIGHT, client_address="198.51.100.200").status_code == 302


def test_without_a_proxy_the_header_is_not_believed(client, settings):
    settings.SOULEVAL_PROXY_HOPS = 0
    UserFactory(username="victim", password=RIGHT)
    url = reverse("login")
    for attempt in range(5):
        client.post(
            url,
            {"username": "victim", "password": "guess"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}",
        )
    locked = client.post(url, {"username": "victim", "password": RIGHT}, REMOTE_ADDR="203.0.113.9")
    assert locked.status_code == 429
    other = client.post(url, {"username": "victim", "password": RIGHT}, REMOTE_ADDR="192.0.2.1")
    assert other.status_code == 302


def test_one_address_spraying_passwords_over_many_usernames_is_locked_out(client, behind_proxy):
    sprayer, colleague = "203.0.113.50", "203.0.113.51"
    UserFactory(username="target", password=RIGHT)
    answers = []
    # Four guesses on each username stay under the pair's limit of five.
    for number in range(6):
        for _ in range(4):
            answers.append(login(client, f"name{number}", "Summer2026!", client_address=sprayer))
    assert [answer.status_code for answer in answers[:19]] == [200] * 19
    assert answers[19].status_code == 429  # the 20th failure from the address
    # The whole address is locked, the right password too; another address is not.
    assert login(client, "target", RIGHT, client_address=sprayer).status_code == 429
    assert login(client, "target", RIGHT, client_address=colleague).status_code == 302


def test_an_attackers_own_login_does_not_clear_the_count_of_their_address(client, behind_proxy):
    attacker = "203.0.113.60"
    UserFactory(username="mine", password=RIGHT)
    for number in range(19):
        login(client, f"someone{number % 5}", "guess", client_address=attacker)
    # A success clears that pair's failures only.
    assert login(client, "mine", RIGHT, client_address=attacker).status_code == 302
    client.logout()
    assert login(client, "someone9", "guess", client_address=attacker).status_code == 429

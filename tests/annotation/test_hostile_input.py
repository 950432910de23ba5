"""Input an attacker or a broken network sends to the portal and its API: bodies cut
short, JSON nested 100,000 deep, scores that look like digits, a tampered submission id,
two invitations racing for one username. Each answers 4xx with a message and stores
nothing."""

from __future__ import annotations

import json
import socket
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotation.models import Annotator, Assignment, Invitation, Rating
from annotation.services import assignment_next, invitation_create
from tests.support.factories import AnnotatorFactory
from tests.support.studies import study_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def leased(client):
    world = study_world(samples=1, systems=1)
    annotator = AnnotatorFactory()
    assignment = assignment_next(annotator=annotator, study=world.study)
    client.force_login(annotator.user)
    return assignment


def submit_body() -> bytes:
    return json.dumps(
        {"content": 2, "empathy": 1, "helpfulness": 1, "safety": 1, "active_seconds": 30,
         "comment": "回复很温暖，但是建议有些笼统。" * 3, "submission_id": str(uuid.uuid4())},
        ensure_ascii=False,
    ).encode()  # fmt: skip


class CutShort:
    """wsgi.input of a connection that delivered part of the body: then the peer closed
    (reads end early, as gunicorn and wsgiref give them) or reset it (reads raise)."""

    def __init__(self, data: bytes, *, reset: bool) -> None:
        self.data, self.reset = data, reset

    def read(self, size: int = -1) -> bytes:
        if not self.data:
            if self.reset:
                raise ConnectionResetError(104, "Connection reset by peer")
            return b""
        size = len(self.data) if size is None or size < 0 else size
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
@pytest.mark.parametrize(("name", "method"), [("submit", "post"), ("draft", "put")])
def test_a_body_cut_short_answers_400_and_stores_nothing(client, leased, reset, name, method):
    body = submit_body()
    url = reverse(f"annotation-api:{name}", kwargs={"item_id": leased.item.public_id})
    answer = getattr(client, method)(
        url, body, content_type="application/json",
        **{"wsgi.input": CutShort(body[: len(body) // 2], reset=reset),
           "CONTENT_LENGTH": str(len(body))},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "The request ended early" in answer.json()["detail"]
    assignment = Assignment.objects.get(pk=leased.pk)
    assert (assignment.status, assignment.draft) == ("leased", {})
    assert not Rating.objects.exists()


def test_a_form_cut_short_is_not_stored_with_a_truncated_comment(client, leased):
    form = (
        f"content=2&empathy=1&helpfulness=1&safety=1&active_seconds=30"
        f"&submission_id={uuid.uuid4()}&comment=" + "very-long-comment-" * 20
    ).encode()
    answer = client.post(
        reverse("annotation:item", kwargs={"item_id": leased.item.public_id}),
        form, content_type="application/x-www-form-urlencoded",
        **{"wsgi.input": CutShort(form[:-40], reset=False), "CONTENT_LENGTH": str(len(form))},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "Nothing was stored" in answer.content.decode()
    assert not Rating.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_connection_that_stops_sending_gets_a_400(live_server, leased):
    """Over a socket to the live server: half the body, then the write side shut."""
    body = submit_body()
    path = reverse("annotation-api:submit", kwargs={"item_id": leased.item.public_id})
    client = Client()
    client.force_login(leased.annotator.user)
    cookie = client.cookies["sessionid"].value
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCookie: sessionid={cookie}\r\n"
            f"Connection: close\r\n\r\n".encode()
            + body[: len(body) // 2]
        )
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"The request ended early" in answer
    assert not Rating.objects.exists()


@pytest.mark.parametrize(("name", "method"), [("submit", "post"), ("draft", "put")])
def test_json_nested_100000_deep_answers_400(client, leased, name, method):
    url = reverse(f"annotation-api:{name}", kwargs={"item_id": leased.item.public_id})
    for body in ("[" * 100_000 + "]" * 100_000, '{"comment": ' + "[" * 70 + "]" * 70 + "}"):
        answer = getattr(client, method)(url, body, content_type="application/json")
        assert answer.status_code == 400
        assert "nested deeper than 64 levels" in answer.json()["detail"]
    assert Assignment.objects.get(pk=leased.pk).draft == {}


@pytest.mark.parametrize("score", ["²", "⑵", "2.0", "-1", "二"])
def test_the_rating_form_names_a_score_that_is_not_one_in_words(client, leased, score):
    answer = client.post(
        reverse("annotation:item", kwargs={"item_id": leased.item.public_id}),
        {"content": score, "empathy": 1, "helpfulness": 1, "safety": 1,
         "submission_id": str(uuid.uuid4()), "active_seconds": 5},
    )  # fmt: skip
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "is not a score: choose 0 or 1 or 2" in page
    assert "invalid literal" not in page
    assert not Rating.objects.exists()


def test_a_full_width_digit_is_the_score_it_reads_as(client, leased):
    answer = client.post(
        reverse("annotation:item", kwargs={"item_id": leased.item.public_id}),
        {"content": "２", "empathy": "1", "helpfulness": "1", "safety": "1",
         "submission_id": str(uuid.uuid4()), "active_seconds": 5},
    )  # fmt: skip
    assert answer.status_code == 302
    assert Rating.objects.get().content == 2


def test_a_tampered_submission_id_is_explained_and_the_next_submit_is_stored(client, leased):
    url = reverse("annotation:item", kwargs={"item_id": leased.item.public_id})
    scores = {"content": 2, "empathy": 1, "helpfulness": 1, "safety": 1, "active_seconds": 5}
    answer = client.post(url, {**scores, "submission_id": "'; DROP TABLE rating;--"})
    assert answer.status_code == 400
    assert "This form arrived damaged" in answer.content.decode()
    assert not Rating.objects.exists()
    fresh = answer.context["submission_id"]
    assert isinstance(fresh, uuid.UUID)
    assert client.post(url, {**scores, "submission_id": str(fresh)}).status_code == 302
    assert Rating.objects.get().submission_id == fresh


@pytest.mark.django_db(transaction=True)
def test_two_invitations_racing_for_one_username_make_one_account(postgres, monkeypatch):
    """Both pass the username check, then insert at once: one account, and the other
    invitee is told the name is taken, with their link still usable."""
    from annotation.services import invitations

    both_checked = threading.Barrier(2, timeout=10)
    real_validate = invitations.validate_password

    def validate_then_wait(password, user=None):
        real_validate(password, user)
        both_checked.wait()

    monkeypatch.setattr(invitations, "validate_password", validate_then_wait)
    links = [invitation_create(invitee=f"Dr. {n}", created_by=None) for n in (1, 2)]
    answers = {}

    def accept(issued) -> None:
        try:
            answers[issued.token] = Client().post(
                reverse("invitation-accept", kwargs={"token": issued.token}),
                {"username": "same-name", "password": "a-Long-passphrase-9",
                 "password2": "a-Long-passphrase-9"},
            )  # fmt: skip
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(issued,)) for issued in links]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    codes = sorted(answer.status_code for answer in answers.values())
    assert codes == [302, 400]
    [lost] = [token for token, answer in answers.items() if answer.status_code == 400]
    assert "already exists" in answers[lost].content.decode()
    assert Annotator.objects.filter(user__username="same-name").count() == 1
    # The losing link was not spent: its invitee can pick another name.
    monkeypatch.setattr(invitations, "validate_password", real_validate)
    loser = Invitation.objects.get(used_at__isnull=True)
    retry = Client().post(
        reverse("invitation-accept", kwargs={"token": lost}),
        {"username": "other-name", "password": "a-Long-passphrase-9",
         "password2": "a-Long-passphrase-9"},
    )  # fmt: skip
    assert retry.status_code == 302
    loser.refresh_from_db()
    assert loser.used_by.user.username == "other-name"

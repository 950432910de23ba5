"""Invitations, login rate limiting, and the admin's study, invitation and pay pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from annotation.models import Annotator, Invitation, Rating, Study
from annotation.services import (
    invitation_create,
    invitation_revoke,
)
from tests.support.factories import AdminFactory, AnnotatorFactory, UserFactory
from tests.support.studies import rate_next, study_world

pytestmark = pytest.mark.django_db


PASSWORD = "a-Long-passphrase-9"


def accept(client, token, username="expert1", password=PASSWORD, again=None):
    return client.post(
        reverse("invitation-accept", kwargs={"token": token}),
        {"username": username, "password": password, "password2": again or password},
    )


def test_an_invitation_makes_one_annotator_and_logs_them_in(client):
    issued = invitation_create(invitee="Dr. Li", created_by=AdminFactory())
    response = accept(client, issued.token)
    assert response.status_code == 302
    assert response["Location"] == reverse("annotation:portal")
    annotator = Annotator.objects.get(user__username="expert1")
    assert annotator.invitation == issued.invitation
    assert client.get(reverse("annotation:portal")).status_code == 200
    # Single use: the same link again makes nothing.
    client.logout()
    assert accept(client, issued.token, username="expert2").status_code == 404
    assert Annotator.objects.count() == 1


def test_only_the_hash_of_the_token_is_stored(db):
    issued = invitation_create(invitee="x", created_by=None)
    assert issued.token not in Invitation.objects.values_list("token_hash", flat=True).get()


@pytest.mark.parametrize("state", ["expired", "revoked", "unknown"])
def test_an_unusable_link_answers_404_with_a_reason_and_makes_nothing(client, state):
    issued = invitation_create(invitee="x", created_by=None)
    token = issued.token
    if state == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "revoked":
        invitation_revoke(invitation=issued.invitation)
    else:
        token = "not-a-token"
    page = client.get(reverse("invitation-accept", kwargs={"token": token}))
    assert page.status_code == 404
    assert ("expired" if state == "expired" else "not valid") in page.content.decode()
    assert accept(client, token).status_code == 404
    assert not Annotator.objects.exists()


def test_a_weak_password_or_a_taken_username_is_refused_and_the_link_stays_usable(client):
    UserFactory(username="taken")
    issued = invitation_create(invitee="x", created_by=None)
    weak = accept(client, issued.token, password="123")
    assert weak.status_code == 400
    assert "too short" in weak.content.decode()
    assert accept(client, issued.token, username="taken").status_code == 400
    assert accept(client, issued.token, again="different-Passphrase-1").status_code == 400
    assert not Annotator.objects.exists()
    assert accept(client, issued.token).status_code == 302


def test_logins_are_blocked_after_repeated_failures(client):
    UserFactory(username="victim", password="right-Passphrase-7")
    url = reverse("login")
    for _ in range(4):
        assert client.post(url, {"username": "victim", "password": "guess"}).status_code == 200
    # The fifth failure locks the (username, address) pair, even for the right password.
    assert client.post(url, {"username": "victim", "password": "guess"}).status_code == 429
    locked = client.post(url, {"username": "victim", "password": "right-Passphrase-7"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_correct_login_goes_to_the_portal(client):
    annotator = AnnotatorFactory(user=UserFactory(username="rater", password="right-Passphrase-7"))
    response = client.post(
        reverse("login"), {"username": "rater", "password": "right-Passphrase-7"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("annotation:portal")
    assert annotator.user.get_username().encode() in response.content


def test_the_invite_command_prints_a_working_link(client, capsys):
    call_command("invite_annotator", "Dr. Wang", "--base-url", "https://rate.example.org")
    link = capsys.readouterr().out.strip()
    assert link.startswith("https://rate.example.org/invitations/")
    assert client.get(link.removeprefix("https://rate.example.org")).status_code == 200


def test_the_admin_creates_an_invitation_and_sees_the_link_once(client):
    client.force_login(AdminFactory())
    response = client.post(
        reverse("admin:annotation_invitation_add"),
        {"invitee": "Dr. Zhao", "expertise_note": "", "valid_days": 3},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "/invitations/" in text
    invitation = Invitation.objects.get()
    assert invitation.invitee == "Dr. Zhao"
    assert timedelta(days=2) < invitation.expires_at - timezone.now() <= timedelta(days=3)


def test_an_invitation_with_an_address_is_emailed_and_becomes_the_accounts_address(
    client, mailoutbox
):
    client.force_login(AdminFactory())
    page = client.post(
        reverse("admin:annotation_invitation_add"),
        {"invitee": "Dr. Qian", "email": "qian@example.org", "expertise_note": "", "valid_days": 7},
        follow=True,
    ).content.decode()
    [mail] = mailoutbox
    assert mail.to == ["qian@example.org"]
    link = next(word for word in mail.body.split() if "/invitations/" in word)
    assert "e-mailed to qian@example.org" in page
    assert f'data-copy="{link}"' in page.replace("'", '"')  # the one-click copy button
    client.logout()
    path = link[link.index("/invitations/") :]
    client.post(path, {"username": "qian", "password": "long-pass-9x", "password2": "long-pass-9x"})
    assert Annotator.objects.get(user__username="qian").user.email == "qian@example.org"


def test_a_bad_address_is_refused_and_nothing_is_made(client, mailoutbox):
    client.force_login(AdminFactory())
    page = client.post(
        reverse("admin:annotation_invitation_add"),
        {"invitee": "Dr. Sun", "email": "not-an-address", "expertise_note": "", "valid_days": 7},
    )
    assert page.status_code == 200
    assert "Enter a valid email address." in page.content.decode()
    assert not Invitation.objects.exists()
    assert not mailoutbox


def test_a_forgotten_password_is_reset_through_the_mail(client, mailoutbox):
    annotator = AnnotatorFactory()
    annotator.user.email = "li@example.org"
    annotator.user.save()
    assert "Forgot your password?" in client.get(reverse("login")).content.decode()
    client.post(reverse("password_reset"), {"email": "li@example.org"})
    [mail] = mailoutbox
    link = next(word for word in mail.body.split() if "/accounts/reset/" in word)
    path = link[link.index("/accounts/reset/") :]
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "another-pass-42", "new_password2": "another-pass-42"},
        follow=True,
    )
    assert "Your new password is set." in done.content.decode()
    annotator.user.refresh_from_db()
    assert annotator.user.check_password("another-pass-42")


def test_the_admin_makes_a_study_from_systems_and_samples_and_opens_it(client):
    world = study_world(samples=4, systems=2, open_it=False)
    client.force_login(AdminFactory())
    dataset = world.responses[0].sample.dataset
    response = client.post(
        reverse("admin:annotation_study_add"),
        {
            "name": "round-1", "title": "Round one", "raters_per_item": 3,
            "pay_per_item": "0.418", "currency": "USD", "minimum_hourly_wage": "7.12",
            "lease_minutes": 30, "rubric_version": "cehs-1", "too_fast_seconds": 20,
            "dataset": dataset.pk,
            "split": "test", "systems": [system.pk for system in world.systems],
            "samples": 3, "seed": 1,
        },
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    study = Study.objects.get(name="round-1")
    assert study.items.count() == 6
    response = client.post(
        reverse("admin:annotation_study_changelist"),
        {"action": "open_studies", "_selected_action": [study.pk]},
        follow=True,
    )
    study.refresh_from_db()
    assert study.status == "open"
    too_many = client.post(
        reverse("admin:annotation_study_add"),
        {
            "name": "round-2", "title": "t", "raters_per_item": 3, "pay_per_item": "0.418",
            "currency": "USD", "minimum_hourly_wage": "7.12", "lease_minutes": 30,
            "rubric_version": "cehs-1", "too_fast_seconds": 20, "dataset": dataset.pk,
            "split": "test",
            "systems": [system.pk for system in world.systems], "samples": 99, "seed": 1,
        },
    )  # fmt: skip
    assert too_many.status_code == 200
    assert "only 4 samples" in too_many.content.decode()
    assert not Study.objects.filter(name="round-2").exists()


def test_the_study_form_shows_every_problem_at_once(client):
    world = study_world(samples=2, systems=2, open_it=False)
    client.force_login(AdminFactory())
    page = client.post(
        reverse("admin:annotation_study_add"),
        {
            "name": "round-3", "title": f"Rating {world.systems[0].name}", "raters_per_item": 0,
            "pay_per_item": "0.418", "currency": "US1", "minimum_hourly_wage": "7.12",
            "lease_minutes": 30, "rubric_version": "cehs-1", "too_fast_seconds": 20,
            "dataset": world.responses[0].sample.dataset.pk, "split": "test",
            "systems": [system.pk for system in world.systems], "samples": 9, "seed": 1,
        },
    ).content.decode()  # fmt: skip
    assert f"names system &#x27;{world.systems[0].name}&#x27;" in page
    assert "is not a three-letter code" in page
    assert "asked for 9, but only 2 samples" in page
    assert "Ensure this value is greater than or equal to 1." in page  # raters
    assert not Study.objects.filter(name="round-3").exists()


def test_the_admin_warns_when_an_annotator_earns_below_the_minimum(client):
    world = study_world(samples=1, systems=1, raters=2)
    slow, fast = AnnotatorFactory(), AnnotatorFactory()
    for annotator, seconds in ((slow, 600), (fast, 60)):
        rating = rate_next(annotator, world.study)
        Rating.objects.filter(pk=rating.pk).update(active_seconds=seconds)
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:annotation_study_change", args=[world.study.pk]))
    # The admin capitalises the first letter of a message.
    text = page.content.decode().lower()
    # 0.418 per 10 minutes is 2.51 an hour; per minute it is 25.08.
    assert f"{slow.user.username} earns 2.51 usd per active hour" in text
    assert f"{fast.user.username} earns" not in text
    assert "25.08" in text


def test_admin_pages_are_for_staff_only(client):
    world = study_world(samples=1, systems=1)
    urls = [
        reverse("admin:annotation_study_changelist"),
        reverse("admin:annotation_study_change", args=[world.study.pk]),
        reverse("admin:annotation_safetyflag_changelist"),
        reverse("admin:annotation_rating_changelist"),
        reverse("admin:annotation_invitation_changelist"),
        reverse("admin:annotation_item_changelist"),
        reverse("admin:annotation_annotator_changelist"),
    ]
    for url in urls:
        assert client.get(url).status_code == 302
    client.force_login(AnnotatorFactory().user)
    for url in urls:
        assert client.get(url).status_code == 302
    client.force_login(AdminFactory())
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_pay_and_hourly_wage_are_exact_decimals(db):
    from annotation.selectors import annotator_stats, hourly_wage

    assert hourly_wage(Decimal("0.418"), 180) == Decimal("8.36")
    assert hourly_wage(Decimal("1"), 0) is None
    world = study_world(samples=2, systems=1)
    annotator = AnnotatorFactory()
    for _ in range(2):
        rate_next(annotator, world.study)
    Rating.objects.update(active_seconds=180)
    [stats] = annotator_stats(annotator=annotator)
    assert stats.earned == Decimal("0.836")
    assert str(stats.earned) == "0.836"
    assert stats.hourly_wage == Decimal("8.36")
    assert not stats.below_minimum

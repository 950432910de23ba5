"""Exclusions through the admin: the add form (prefilled from the dashboard's link), its
refusals on the page, the undo action, the ratings action with its reason page, the
study page's quality table, and who may do it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import RaterExclusion, Rating
from tests.support.factories import AdminFactory, AnnotatorFactory
from tests.support.studies import rate_next, study_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated():
    world = study_world(samples=3, systems=2, raters=2)
    raters = [AnnotatorFactory(), AnnotatorFactory()]
    for rater in raters:
        for _ in range(6):
            rate_next(rater, world.study)
    return world, raters


def test_the_add_form_leaves_a_rater_out_and_the_undo_action_puts_them_back(client, rated):
    world, (fast, _) = rated
    admin = AdminFactory()
    client.force_login(admin)
    add = reverse("admin:annotation_raterexclusion_add")
    # The dashboard's link fills the study and the annotator in.
    prefilled = client.get(add, {"study": world.study.pk, "annotator": fast.pk}).content.decode()
    assert f'<option value="{fast.pk}" selected>' in prefilled
    answer = client.post(
        add, {"study": world.study.pk, "annotator": fast.pk, "reason": "rated in 2 s each"}
    )
    assert answer.status_code == 302
    exclusion = RaterExclusion.objects.get()
    assert (exclusion.annotator, exclusion.created_by, exclusion.reason) == (
        fast,
        admin,
        "rated in 2 s each",
    )
    changelist = reverse("admin:annotation_raterexclusion_changelist")
    listing = client.get(changelist).content.decode()
    assert "rated in 2 s each" in listing
    assert "in force" in listing
    client.post(changelist, {"action": "undo", "_selected_action": [exclusion.pk]})
    exclusion.refresh_from_db()
    assert exclusion.undone_by == admin
    assert "undone" in client.get(changelist).content.decode()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"reason": "x"}, "Choose an annotator (all their ratings in the study) or one rating"),
        ({"annotator": "both", "rating": "one", "reason": "x"}, "not both"),
        ({"annotator": "fast", "reason": " "}, "This field is required"),
        ({"annotator": "outsider", "reason": "x"}, "has no ratings in"),
    ],
)
def test_the_add_form_shows_refusals_and_stores_nothing(client, rated, form, message):
    world, (fast, _) = rated
    rating = Rating.objects.filter(assignment__annotator=fast).first()
    values = {"annotator": {"both": fast.pk, "fast": fast.pk, "outsider": AnnotatorFactory().pk},
              "rating": {"one": rating.pk}}  # fmt: skip
    data = {"study": world.study.pk}
    for key, value in form.items():
        data[key] = values.get(key, {}).get(value, value)
    client.force_login(AdminFactory())
    page = client.post(reverse("admin:annotation_raterexclusion_add"), data)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert not RaterExclusion.objects.exists()


def test_a_rater_left_out_twice_is_told_so_on_the_page(client, rated):
    world, (fast, _) = rated
    client.force_login(AdminFactory())
    add = reverse("admin:annotation_raterexclusion_add")
    client.post(add, {"study": world.study.pk, "annotator": fast.pk, "reason": "first"})
    again = client.post(add, {"study": world.study.pk, "annotator": fast.pk, "reason": "again"})
    assert again.status_code == 200
    assert "is already left out of" in again.content.decode()
    assert RaterExclusion.objects.count() == 1


def test_the_ratings_action_asks_for_a_reason_then_leaves_them_out(client, rated):
    _, (fast, _) = rated
    client.force_login(AdminFactory())
    ratings = list(
        Rating.objects.filter(assignment__annotator=fast).values_list("pk", flat=True)[:2]
    )
    changelist = reverse("admin:annotation_rating_changelist")
    action = {"action": "exclude_ratings_action", "_selected_action": ratings}
    asked = client.post(changelist, action)
    assert asked.status_code == 200
    assert "Leave ratings out of the analysis" in asked.content.decode()
    assert not RaterExclusion.objects.exists()
    empty = client.post(changelist, {**action, "apply": "1", "reason": ""})
    assert "This field is required" in empty.content.decode()
    done = client.post(changelist, {**action, "apply": "1", "reason": "scored another item"})
    assert done.status_code == 302
    assert set(RaterExclusion.objects.values_list("rating_id", flat=True)) == set(ratings)


def test_the_study_page_shows_each_raters_quality_and_who_is_left_out(client, rated):
    world, (fast, careful) = rated
    Rating.objects.filter(assignment__annotator=fast).update(active_seconds=2)
    Rating.objects.filter(assignment__annotator=careful).update(active_seconds=95)
    RaterExclusion.objects.create(study=world.study, annotator=fast, reason="too fast")
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:annotation_study_change", args=[world.study.pk]))
    html = page.content.decode()
    assert "rater quality" in html.lower()
    html = html.split('class="rater-quality"')[1].split("</table>")[0]
    fast_row = next(part for part in html.split("<tr") if f"<td>{fast}</td>" in part)
    assert "100% of ratings under 20 s (median 2 s)" in fast_row
    assert "left out: too fast" in fast_row
    careful_row = next(part for part in html.split("<tr") if f"<td>{careful}</td>" in part)
    assert "95 [95, 95–95, 95]" in careful_row
    assert f"annotator={careful.pk}" in careful_row


def test_exclusions_are_for_staff_only(client, rated):
    world, (fast, _) = rated
    urls = [
        reverse("admin:annotation_raterexclusion_changelist"),
        reverse("admin:annotation_raterexclusion_add"),
    ]
    for user in (None, fast.user):
        if user is not None:
            client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 302
        assert client.post(urls[1], {"study": world.study.pk, "annotator": fast.pk,
                                     "reason": "x"}).status_code == 302  # fmt: skip
    assert not RaterExclusion.objects.exists()


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/admin/annotation/study/", "/admin/annotation/study/"),
        # Another site, or a scheme-relative one, is never followed.
        ("https://evil.example/phish", "/admin/annotation/raterexclusion/"),
        ("//evil.example/phish", "/admin/annotation/raterexclusion/"),
    ],
)
def test_leaving_out_returns_to_the_page_it_came_from_and_only_on_this_site(
    client, rated, next_url, lands_on
):
    world, (fast, _) = rated
    client.force_login(AdminFactory())
    add = reverse("admin:annotation_raterexclusion_add")
    answer = client.post(
        f"{add}?next={next_url}",
        {"study": world.study.pk, "annotator": fast.pk, "reason": "rated in a hurry", "_save": "1"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == lands_on
    assert RaterExclusion.objects.get().reason == "rated in a hurry"

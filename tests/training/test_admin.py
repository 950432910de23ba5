"""The admin's training pages: start a job from a form that refuses what cannot work,
watch its progress and loss curve, stop it; staff only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from training.models import TrainingJob

pytestmark = pytest.mark.django_db

ADD = reverse("admin:training_trainingjob_add")


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-long-9")
    client.force_login(user)
    return client


@pytest.fixture
def dataset(tiny_model, settings, tmp_path):
    from demo.services import demo_install
    from generation.models import Dataset
    from generation.services import system_save

    settings.DEBUG = True
    settings.TRAINED_MODELS_DIR = tmp_path / "models"
    demo_install()
    system_save(name="tiny-base", fields={"kind": "hf_local", "checkpoint": str(tiny_model)})
    return Dataset.objects.get(name="demo-counselling")


def form(dataset, **changes) -> dict:
    return {"name": "tiny-new", "base": "tiny-base", "dataset": dataset.pk, "split": "train",
            "method": "lora", "steps": 20, "warmup_steps": 2, "per_device_batch": 4,
            "devices": 1, "other": '{"global_batch": 8}', **changes}  # fmt: skip


def test_a_valid_form_queues_a_job_and_shows_it(staff, dataset):
    page = staff.get(ADD)
    assert page.status_code == 200
    assert b"Start training" in page.content
    response = staff.post(ADD, form(dataset))
    job = TrainingJob.objects.get()
    assert response.status_code == 302
    assert "Training job" in staff.get(response["Location"]).content.decode()
    assert response["Location"] == reverse("admin:training_trainingjob_change", args=[job.pk])
    assert (job.method, job.progress_total, job.hyper_parameters["global_batch"]) == ("lora", 20, 8)

    TrainingJob.objects.filter(pk=job.pk).update(
        status="running", progress_done=4, loss_history=[[1, 7.1], [2, 6.0], [3, 5.2], [4, 4.9]],
        log_tail="step 4/20: loss 4.9",
    )  # fmt: skip
    page = staff.get(response["Location"])
    html = page.content.decode()
    assert "4/20 steps (20%)" in html
    assert html.count('class="pygal-chart"') == 1
    chart = html.split('class="pygal-chart"', 1)[1].split("</svg>", 1)[0]
    assert "<script" not in chart
    assert "training loss" in chart
    assert 'http-equiv="refresh"' in html
    assert "step 4/20: loss 4.9" in html
    listing = staff.get(reverse("admin:training_trainingjob_changelist")).content.decode()
    assert "4.9000" in listing


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base": "/nowhere"}, "never downloads weights"),
        ({"steps": 2}, "nothing after the 2 warm-up steps"),
        ({"other": "{not json"}, "not JSON"),
        ({"other": '{"learning_rate": 1}'}, "learning_rate: unknown hyper-parameter"),
        ({"per_device_batch": 3}, "not divisible by 3"),
        ({"name": "tiny-base"}, "already exists"),
    ],
)
def test_a_form_that_cannot_work_is_shown_again_with_the_reason(staff, dataset, changes, message):
    response = staff.post(ADD, form(dataset, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TrainingJob.objects.exists()


def test_the_form_shows_all_its_problems_at_once(staff, dataset):
    response = staff.post(
        ADD, form(dataset, name="", steps=0, other='{"global_batch": 7, "max_learning_rate": "x"}')
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in text  # name
    assert "Ensure this value is greater than or equal to 1." in text  # steps
    assert "max_learning_rate: a number" in text  # in the JSON
    assert not TrainingJob.objects.exists()


def test_the_services_problems_come_together_too(staff, dataset):
    response = staff.post(
        ADD, form(dataset, base="/no/such/checkpoint", split="validation", per_device_batch=3)
    )
    text = response.content.decode()
    assert "/no/such/checkpoint" in text
    assert "no validation samples" in text
    assert "not divisible" in text
    assert not TrainingJob.objects.exists()


def test_stop_and_retry_actions(staff, dataset):
    staff.post(ADD, form(dataset))
    job = TrainingJob.objects.get()
    listing = reverse("admin:training_trainingjob_changelist")
    staff.post(listing, {"action": "stop", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.status == "cancelled"
    page = staff.get(reverse("admin:training_trainingjob_change", args=[job.pk])).content
    assert b'http-equiv="refresh"' not in page
    staff.post(listing, {"action": "retry", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.status == "queued"


def test_only_staff_reach_the_training_pages(client, django_user_model, dataset):
    user = django_user_model.objects.create_user("annotator", password="pw-long-9")
    client.force_login(user)
    for url in (ADD, reverse("admin:training_trainingjob_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    assert client.post(ADD, {"name": "x"}).status_code == 302
    assert not TrainingJob.objects.exists()

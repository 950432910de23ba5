"""One error path: a service's refusal carries a code, which the API turns into a status
and every command into a CommandError, each in one place."""

from __future__ import annotations

import pytest
from django.core.management import CommandError

from annotation.services import AssignmentRefused, RatingInvalid, StudyInvalid
from common.api_errors import SERVICE_ERROR_STATUS, service_exception_handler
from common.commands import ServiceCommand
from common.errors import CODES, ServiceError
from generation.selectors import DatasetNotFound
from generation.services import SystemInvalid


def test_a_service_error_knows_its_code_and_refuses_an_unknown_one():
    assert SystemInvalid("x").code == "invalid"
    assert DatasetNotFound("x").code == "not_found"
    assert AssignmentRefused("x").code == "conflict"
    assert AssignmentRefused("x", code="forbidden").code == "forbidden"
    with pytest.raises(ValueError, match="unknown service error code 'teapot'"):
        ServiceError("x", code="teapot")
    assert set(SERVICE_ERROR_STATUS) == set(CODES)


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (DatasetNotFound("no dataset named 'x'"), 404, {"detail": "no dataset named 'x'"}),
        (AssignmentRefused("the study is closed"), 409, {"detail": "the study is closed"}),
        (
            RatingInvalid({"content": "must be 0, 1 or 2"}),
            400,
            {"detail": "content: must be 0, 1 or 2", "errors": {"content": "must be 0, 1 or 2"}},
        ),
        (StudyInvalid("a study needs at least one response"), 400,
         {"detail": "a study needs at least one response"}),
    ],
)  # fmt: skip
def test_the_api_answers_a_refusal_with_its_codes_status(error, status, body):
    response = service_exception_handler(error, {})
    assert response.status_code == status
    assert response.data == body


def test_the_api_leaves_other_exceptions_to_drf():
    assert service_exception_handler(RuntimeError("boom"), {}) is None


def test_a_command_turns_a_refusal_into_a_command_error():
    class Refusing(ServiceCommand):
        def handle(self, *args, **options):
            raise SystemInvalid("system 'x': the checkpoint is not there")

    with pytest.raises(CommandError, match="system 'x': the checkpoint is not there"):
        Refusing().execute(stdout=None, stderr=None, no_color=True, force_color=False,
                           skip_checks=True)  # fmt: skip


def test_every_command_of_the_project_is_a_service_command():
    from django.core.management import get_commands, load_command_class

    ours = {
        name: app
        for name, app in get_commands().items()
        if app in ("common", "generation", "corpus", "training", "annotation", "reports", "demo")
    }
    assert ours
    assert [name for name, app in ours.items()
            if not isinstance(load_command_class(app, name), ServiceCommand)] == []  # fmt: skip

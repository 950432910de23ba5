"""Admin for studies and their gold items.

Writes go through the services (the forms check with them, save_model and the actions
call them), so the admin keeps the same rules as the commands and the portal.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join

from annotation.admin.screening import ScreeningReviewMixin
from annotation.admin.study_tools import StudyToolsMixin
from annotation.models import Assignment, Item, Rating, Study
from annotation.pairwise_design import DesignInvalid, pairwise_design
from annotation.rubric import SCALE_KEYS
from annotation.selectors import study_pay_rows, study_progress, study_systems
from annotation.selectors.quality import study_rater_quality
from annotation.services import (
    StudyInvalid,
    StudySettings,
    gold_item_add,
    gold_item_check,
    study_create,
    study_currency_parse,
    study_responses_for_samples,
    study_status_set,
    study_texts_check,
    study_update,
)
from annotation.services.pair_studies import study_pairwise_create
from annotation.services.studies import STUDY_EDITABLE, STUDY_FIXED_ONCE_STARTED
from common.admin import ServiceModelAdmin
from generation.models import Dataset, Sample, System


class StudyCreateForm(forms.ModelForm):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.all())
    split = forms.ChoiceField(choices=Sample.Split.choices, initial=Sample.Split.TEST)
    systems = forms.ModelMultipleChoiceField(queryset=System.objects.all())
    samples = forms.IntegerField(
        min_value=1,
        required=False,
        help_text="How many samples; empty means all that every system answered.",
    )
    seed = forms.IntegerField(initial=0)
    kind = forms.ChoiceField(
        choices=Study.Kind.choices,
        initial=Study.Kind.RATING,
        required=False,
        help_text="Fixed once made. Pairwise: two systems' answers to one context side by "
        "side (each annotator's sides drawn for them), voted on instead of scored.",
    )
    pairs_per_sample = forms.IntegerField(
        min_value=1,
        initial=1,
        required=False,
        help_text="Pairwise studies: how many different pairs of systems each sample gets.",
    )
    with_reference = forms.BooleanField(
        required=False,
        label="With the human reference",
        help_text="One more blind system: each drawn sample's own counsellor reply, rated "
        "like any answer (the human ceiling of Table 1).",
    )

    class Meta:
        model = Study
        fields = [
            "name", "kind", "title", "instructions", "raters_per_item", "pay_per_item",
            "currency", "minimum_hourly_wage", "lease_minutes", "rubric_version",
            "too_fast_seconds",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        """Every check whose fields are valid runs, so the form shows all its problems
        at once: a bad title and a sample count too large come back together."""
        super().clean()
        data = self.cleaned_data
        data["kind"] = data.get("kind") or Study.Kind.RATING
        if data.get("pairs_per_sample") is None and "pairs_per_sample" not in self.errors:
            data["pairs_per_sample"] = 1
        checks = [
            (("title", "systems"), lambda: study_texts_check(
                title=data["title"], instructions=data.get("instructions", ""),
                systems=data["systems"],
            )),
            (("currency",), lambda: data.update(currency=study_currency_parse(data["currency"]))),
            (("dataset", "split", "systems", "samples", "seed"), lambda: data.update(
                responses=study_responses_for_samples(
                    dataset_id=data["dataset"].pk, split=data["split"],
                    systems=list(data["systems"]), samples=data.get("samples"),
                    seed=data["seed"], with_reference=data.get("with_reference", False),
                )
            )),
            (("kind", "responses", "pairs_per_sample"), lambda: _pairs_check(data)),
        ]  # fmt: skip
        for needed, check in checks:
            if any(field not in data or field in self.errors for field in needed):
                continue
            try:
                check()
            except StudyInvalid as error:
                _refusal_show(self, error)
        return data


def _pairs_check(data: dict[str, Any]) -> None:
    """A pairwise study's design, checked before anything is stored."""
    if data["kind"] != Study.Kind.PAIRWISE:
        return
    systems = sorted({str(response.system_id) for response in data["responses"]})
    try:
        pairwise_design([0], systems, pairs_per_sample=data["pairs_per_sample"])
    except DesignInvalid as error:
        raise StudyInvalid({"pairs_per_sample": str(error)}) from None


def _refusal_show(form: forms.ModelForm, error: StudyInvalid) -> None:
    """A service's refusal as form errors, each on its field where the form has one."""
    for key, message in error.errors.items():
        form.add_error(key if key in form.fields else None, message)


class StudyChangeForm(forms.ModelForm):
    """The same rules as study_update: the title may not name a system under study."""

    class Meta:
        model = Study
        fields = list(STUDY_EDITABLE)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        try:
            if "title" in data or "instructions" in data:
                study_texts_check(
                    title=data.get("title", self.instance.title),
                    instructions=data.get("instructions", self.instance.instructions),
                    systems=study_systems(study=self.instance),
                )
            if "currency" in data:
                data["currency"] = study_currency_parse(data["currency"])
        except StudyInvalid as error:
            _refusal_show(self, error)
        return data


@admin.register(Study)
class StudyAdmin(StudyToolsMixin, ScreeningReviewMixin, ServiceModelAdmin):
    list_display = [
        "name",
        "kind",
        "status",
        "progress",
        "raters_per_item",
        "pay_per_item",
        "currency",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["name", "title"]
    actions = ["open_studies", "pause_studies", "close_studies"]
    readonly_fields = [
        "public_id", "kind", "status", "progress", "identity_screening", "pay_table",
        "rater_quality", "created_at", "updated_at",
    ]  # fmt: skip

    def get_form(
        self, request: HttpRequest, obj: Study | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        kwargs["form"] = StudyCreateForm if obj is None else StudyChangeForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Study | None = None) -> tuple[str, ...]:
        if obj is None:
            return (*StudyCreateForm.Meta.fields, "dataset", "split", "systems", "samples", "seed",
                    "with_reference", "pairs_per_sample")  # fmt: skip
        return (
            "name", "kind", "title", "instructions", "public_id", "status", "progress",
            "raters_per_item", "pay_per_item", "currency", "minimum_hourly_wage", "lease_minutes",
            "rubric_version", "too_fast_seconds", "identity_screening", "pay_table",
            "rater_quality", "created_at", "updated_at",
        )  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Study | None = None) -> list[str]:
        if obj is None:
            return []
        # Once items were handed out, the terms annotators work under stay as they were.
        started = Assignment.objects.filter(item__study=obj).exists()
        return [*self.readonly_fields, *(STUDY_FIXED_ONCE_STARTED if started else [])]

    def save_model(
        self, request: HttpRequest, obj: Study, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            changed = {key: form.cleaned_data[key] for key in form.changed_data
                       if key in STUDY_EDITABLE}  # fmt: skip
            try:
                study = study_update(study=obj, fields=changed)
            except StudyInvalid as error:
                # The form checked the same rules; this is a change made meanwhile.
                self.message_user(request, f"Not saved: {error}", messages.ERROR)
                obj.refresh_from_db()
                return
            obj.refresh_from_db()
            obj.updated_at = study.updated_at
            return
        data = form.cleaned_data
        settings = StudySettings(
            raters_per_item=data["raters_per_item"],
            pay_per_item=data["pay_per_item"],
            currency=data["currency"],
            minimum_hourly_wage=data["minimum_hourly_wage"],
            lease_minutes=data["lease_minutes"],
            rubric_version=data["rubric_version"],
            title=data["title"],
            instructions=data.get("instructions", ""),
            too_fast_seconds=data["too_fast_seconds"],
        )
        if data["kind"] == Study.Kind.PAIRWISE:
            study = study_pairwise_create(
                name=data["name"], responses=data["responses"], settings=settings,
                pairs_per_sample=data["pairs_per_sample"], seed=data["seed"],
            )  # fmt: skip
        else:
            study = study_create(name=data["name"], responses=data["responses"], settings=settings)
        obj.pk, obj.public_id, obj.created_at = study.pk, study.public_id, study.created_at
        obj._state.adding = False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        study = self.get_object(request, object_id)
        if study is not None and request.method == "GET":
            for row in study_pay_rows(study=study):
                if row.below_minimum:
                    messages.warning(
                        request,
                        f"{row.annotator} earns {row.hourly_wage} {study.currency} per active "
                        "hour, "
                        f"below this study's minimum of {study.minimum_hourly_wage}.",
                    )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="progress")
    def progress(self, study: Study) -> str:
        progress = study_progress(study=study)
        return (
            f"{progress.submitted}/{progress.slots} ratings, {progress.live_leases} in progress, "
            f"{progress.items} items + {progress.gold_items} gold"
        )

    @admin.display(description="rater quality")
    def rater_quality(self, study: Study) -> str:
        rows = study_rater_quality(study=study)
        if not rows:
            return "No ratings yet."
        return render_to_string(
            "admin/annotation/study/rater_quality.html",
            {"rows": rows, "study": study, "dimensions": SCALE_KEYS},
        )

    @admin.display(description="pay per annotator")
    def pay_table(self, study: Study) -> str:
        rows = study_pay_rows(study=study)
        if not rows:
            return "No ratings yet."
        return format_html(
            '<table id="pay"><tr><th>annotator</th><th>items</th><th>active</th><th>earned</th>'
            "<th>per hour</th><th>gold accuracy</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{} s</td><td>{} {}</td><td>{}{}</td>"
                "<td>{}</td></tr>",
                (
                    (
                        row.annotator, row.submitted, row.active_seconds, row.earned,
                        study.currency, row.hourly_wage if row.hourly_wage is not None else "–",
                        " ⚠ below minimum" if row.below_minimum else "",
                        f"{row.gold_accuracy:.0%} of {row.gold_rated}" if row.gold_rated else "–",
                    )
                    for row in rows
                ),
            ),
        )  # fmt: skip

    def _status_action(self, request: HttpRequest, queryset: QuerySet[Study], status: str) -> None:
        for study in queryset:
            try:
                study_status_set(study=study, status=status)
            except StudyInvalid as error:
                self.message_user(request, f"{study.name}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{study.name} is {status}.", messages.SUCCESS)

    @admin.action(description="Open the selected studies")
    def open_studies(self, request: HttpRequest, queryset: QuerySet[Study]) -> None:
        self._status_action(request, queryset, Study.Status.OPEN)

    @admin.action(description="Pause the selected studies")
    def pause_studies(self, request: HttpRequest, queryset: QuerySet[Study]) -> None:
        self._status_action(request, queryset, Study.Status.PAUSED)

    @admin.action(description="Close the selected studies (every rating is kept)")
    def close_studies(self, request: HttpRequest, queryset: QuerySet[Study]) -> None:
        self._status_action(request, queryset, Study.Status.CLOSED)

    def has_delete_permission(self, request: HttpRequest, obj: Study | None = None) -> bool:
        # Ratings are paid work: a study that has any is closed, never deleted.
        if obj is not None and Rating.objects.filter(assignment__item__study=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


class GoldItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = [
            "study", "response", "expected_content", "expected_empathy",
            "expected_helpfulness", "expected_safety",
        ]  # fmt: skip

    def _get_validation_exclusions(self) -> set[str]:
        # A response already in the study may become its gold item while no annotator
        # was handed it: gold_item_check decides that, so the model's unique (study,
        # response) constraint, which names the response, is left to it.
        return {*super()._get_validation_exclusions(), "response"}  # type: ignore[misc]

    def clean(self) -> dict[str, Any]:
        """The service's checks, every one at once and each on its field, so the admin
        never sees a refusal beside a "saved" message."""
        super().clean()
        data = self.cleaned_data
        study = data.get("study", getattr(self.instance, "study", None))
        response = data.get("response", getattr(self.instance, "response", None))
        if study is None or response is None:
            return data
        try:
            gold_item_check(
                study=study,
                response=response,
                expected={key: data.get(f"expected_{key}") for key in SCALE_KEYS},
            )
        except StudyInvalid as error:
            _refusal_show(self, error)
        return data


@admin.register(Item)
class ItemAdmin(ServiceModelAdmin):
    """Items come from studies; an admin adds gold items here, with expected scores."""

    form = GoldItemForm
    list_display = ["public_id", "study", "system", "is_gold", "ratings"]
    list_filter = ["study", "is_gold", "response__system"]
    search_fields = ["public_id", "response__sample__source_id"]
    raw_id_fields = ["response"]
    list_select_related = ["study", "response__system"]

    def get_readonly_fields(self, request: HttpRequest, obj: Item | None = None) -> list[str]:
        return ["study", "response", "public_id", "is_gold"] if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: Item, form: forms.ModelForm, change: bool
    ) -> None:
        # The form has put the expected scores on obj, whether it is new or not.
        expected = {key: getattr(obj, f"expected_{key}") for key in SCALE_KEYS}
        try:
            item = gold_item_add(study=obj.study, response=obj.response, expected=expected)
        except StudyInvalid as error:
            self.message_user(request, f"Not saved: {error}", messages.ERROR)
            return
        obj.pk, obj.public_id, obj.is_gold = item.pk, item.public_id, True
        obj._state.adding = False

    @admin.display(description="system")
    def system(self, item: Item) -> str:
        return item.response.system.name

    @admin.display(description="ratings")
    def ratings(self, item: Item) -> int:
        return item.assignments.filter(status=Assignment.Status.SUBMITTED).count()

"""The dashboard's parameters, as a form: which ratings the human figures read, the
two systems to compare, and what the study planner is asked."""

from __future__ import annotations

from django import forms

from annotation.rubric import SCALE_KEYS
from reports.planner import DEFAULT_TARGET
from reports.selectors.planning import PlanRequest
from reports.selectors.table import AFTER_EXCLUSIONS, RATINGS_VIEWS

# What the planner panel answers before it is asked anything.
PLAN_DIMENSION, PLAN_DIFFERENCE = "empathy", 0.2


class DashboardForm(forms.Form):
    ratings = forms.ChoiceField(
        choices=[(view, view) for view in RATINGS_VIEWS], required=False, initial=AFTER_EXCLUSIONS
    )
    dataset = forms.CharField(required=False, max_length=100)
    first = forms.CharField(required=False, max_length=100)
    second = forms.CharField(required=False, max_length=100)
    metric = forms.CharField(required=False, max_length=40)
    plan_dimension = forms.ChoiceField(choices=[(key, key) for key in SCALE_KEYS], required=False)
    # Checked by the planner, which says what is wrong in words (a power of 1.5, …).
    plan_difference = forms.FloatField(required=False)
    plan_target = forms.FloatField(required=False)

    def ratings_view(self) -> str:
        return self.cleaned_data.get("ratings") or AFTER_EXCLUSIONS

    def comparison_wanted(self) -> dict[str, str] | None:
        """The four names of a comparison when all are given, else None."""
        wanted = {
            key: self.cleaned_data.get(key, "") for key in ("dataset", "first", "second", "metric")
        }
        return wanted if all(wanted.values()) else None

    def plan_asked(self) -> bool:
        """Whether the planner was asked something; if not, the page leaves its default
        answer to be fetched after the page is shown, so that the page is quick."""
        return any(
            self.data.get(key) not in (None, "")
            for key in ("plan_dimension", "plan_difference", "plan_target")
        )

    def plan_wanted(self) -> PlanRequest:
        data = self.cleaned_data
        difference, target = data.get("plan_difference"), data.get("plan_target")
        return PlanRequest(
            dimension=data.get("plan_dimension") or PLAN_DIMENSION,
            difference=PLAN_DIFFERENCE if difference is None else difference,
            target=DEFAULT_TARGET if target is None else target,
        )

"""The dashboard's parameters, as a form: which ratings the human figures read, and the
two systems to compare."""

from __future__ import annotations

from django import forms

from reports.selectors.table import AFTER_EXCLUSIONS, RATINGS_VIEWS


class DashboardForm(forms.Form):
    ratings = forms.ChoiceField(
        choices=[(view, view) for view in RATINGS_VIEWS], required=False, initial=AFTER_EXCLUSIONS
    )
    dataset = forms.CharField(required=False, max_length=100)
    first = forms.CharField(required=False, max_length=100)
    second = forms.CharField(required=False, max_length=100)
    metric = forms.CharField(required=False, max_length=40)

    def ratings_view(self) -> str:
        return self.cleaned_data.get("ratings") or AFTER_EXCLUSIONS

    def comparison_wanted(self) -> dict[str, str] | None:
        """The four names of a comparison when all are given, else None."""
        wanted = {
            key: self.cleaned_data.get(key, "") for key in ("dataset", "first", "second", "metric")
        }
        return wanted if all(wanted.values()) else None

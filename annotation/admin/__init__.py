"""The annotation app's admin, one module per subject; importing them registers them."""

from annotation.admin import exclusions, people, ratings, studies

__all__ = ["exclusions", "people", "ratings", "studies"]

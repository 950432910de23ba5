"""The annotation app's admin, one module per subject; importing them registers them."""

from annotation.admin import people, ratings, studies

__all__ = ["people", "ratings", "studies"]

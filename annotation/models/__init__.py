"""Studies, items, assignments, ratings, annotators and invitations.

Blindness starts here: what an annotator can reach (study and item public ids) is random
and says nothing about the system, the sample or the order items were made in.
"""

from annotation.models.base import SHUFFLE_PRIME, public_id_new, shuffle_key_new
from annotation.models.pairs import PairChoice, PairVote
from annotation.models.people import Annotator, Invitation
from annotation.models.studies import Item, Study
from annotation.models.work import (
    Assignment,
    RaterExclusion,
    Rating,
    RatingRevision,
    SafetyFlag,
)

__all__ = [
    "SHUFFLE_PRIME",
    "Annotator",
    "Assignment",
    "Invitation",
    "Item",
    "PairChoice",
    "PairVote",
    "RaterExclusion",
    "Rating",
    "RatingRevision",
    "SafetyFlag",
    "Study",
    "public_id_new",
    "shuffle_key_new",
]

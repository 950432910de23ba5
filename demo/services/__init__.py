"""Writes of the demo: its systems (the tiny model, the canned replies) and its setup
(users, the corpus, simulated ratings)."""

from demo.services.setup import (
    DEMO_HURRIED_RATER,
    DEMO_PASSWORD,
    DEMO_SIMULATED_RATERS,
    DemoAccount,
    DemoRefused,
    DemoSummary,
    SimulatedRatings,
    demo_check_allowed,
    demo_figures_warm,
    demo_install,
    demo_ratings_simulate,
)
from demo.services.systems import (
    DEMO_CANNED_LEAKS,
    DEMO_CANNED_SYSTEM,
    DEMO_CORPUS,
    DEMO_DATASET,
    DEMO_SYSTEM,
    DemoModelResult,
    demo_canned_install,
    demo_corpus_texts,
    demo_model_install,
)

__all__ = [
    "DEMO_CANNED_LEAKS",
    "DEMO_CANNED_SYSTEM",
    "DEMO_CORPUS",
    "DEMO_DATASET",
    "DEMO_HURRIED_RATER",
    "DEMO_PASSWORD",
    "DEMO_SIMULATED_RATERS",
    "DEMO_SYSTEM",
    "DemoAccount",
    "DemoModelResult",
    "DemoRefused",
    "DemoSummary",
    "SimulatedRatings",
    "demo_canned_install",
    "demo_check_allowed",
    "demo_corpus_texts",
    "demo_figures_warm",
    "demo_install",
    "demo_model_install",
    "demo_ratings_simulate",
]

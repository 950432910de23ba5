from reports.services.demo import (
    DEMO_CORPUS,
    DEMO_DATASET,
    DEMO_HURRIED_RATER,
    DEMO_PASSWORD,
    DEMO_SIMULATED_RATERS,
    DemoAccount,
    DemoRefused,
    DemoSummary,
    SimulatedRatings,
    demo_check_allowed,
    demo_install,
    demo_ratings_simulate,
)
from reports.services.runs import (
    EvalRunInvalid,
    RunRequest,
    eval_run_advance,
    eval_run_start,
)
from reports.services.scoring import responses_score

__all__ = [
    "DEMO_CORPUS",
    "DEMO_DATASET",
    "DEMO_HURRIED_RATER",
    "DEMO_PASSWORD",
    "DEMO_SIMULATED_RATERS",
    "DemoAccount",
    "DemoRefused",
    "DemoSummary",
    "EvalRunInvalid",
    "RunRequest",
    "SimulatedRatings",
    "demo_check_allowed",
    "demo_install",
    "demo_ratings_simulate",
    "eval_run_advance",
    "eval_run_start",
    "responses_score",
]

from reports.services.demo import (
    DEMO_CORPUS,
    DEMO_DATASET,
    DEMO_PASSWORD,
    DEMO_STUDY,
    DemoAccount,
    DemoRefused,
    DemoSummary,
    demo_check_allowed,
    demo_install,
    demo_study_open,
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
    "DEMO_PASSWORD",
    "DEMO_STUDY",
    "DemoAccount",
    "DemoRefused",
    "DemoSummary",
    "EvalRunInvalid",
    "RunRequest",
    "demo_check_allowed",
    "demo_install",
    "demo_study_open",
    "eval_run_advance",
    "eval_run_start",
    "responses_score",
]

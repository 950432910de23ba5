from reports.services.runs import (
    EvalRunInvalid,
    RunRequest,
    eval_run_advance,
    eval_run_start,
)
from reports.services.scoring import responses_score

__all__ = [
    "EvalRunInvalid",
    "RunRequest",
    "eval_run_advance",
    "eval_run_start",
    "responses_score",
]

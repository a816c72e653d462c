"""Schemathesis hooks for run.sh (loaded through SCHEMATHESIS_HOOKS).

`positive_data_acceptance` fails when the server refuses a request that the contract calls
valid. A few refusals depend on what no schema can know: today's date (a birth date or a dose
date in the future), the baby's own records (a dose dated before the birth), the schedule
edition's dose count of each vaccine, a code WeChat gave the client. The contract names them in
its descriptions; doors.json lists them per operation as `context_refusals`. This check is
schemathesis' own, except that such a refusal, answered with one of the operation's listed error
codes, counts as accepted. Any other refusal of valid data still fails.
"""

import json
import os

import schemathesis
from schemathesis.checks import CHECKS
from schemathesis.openapi.checks import RejectedPositiveData

CONTEXT_REFUSALS = json.loads(os.environ.get("BABYVAX_CONTEXT_REFUSALS", "{}"))

_schemathesis_check = CHECKS.get_one("positive_data_acceptance")
CHECKS.unregister("positive_data_acceptance")


def _error_code(response):
    try:
        body = response.json()
    except Exception:
        return None
    return body.get("code") if isinstance(body, dict) else None


@schemathesis.check
def positive_data_acceptance(ctx, response, case):
    try:
        return _schemathesis_check(ctx, response, case)
    except RejectedPositiveData:
        if _error_code(response) in CONTEXT_REFUSALS.get(case.operation.label, []):
            return None
        raise

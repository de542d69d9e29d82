"""Schemathesis hooks for learnwithavi/tests/test_api_contract.py (`SCHEMATHESIS_HOOKS`)."""

import os

import httpx
import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    """DELETE /api/auth/token revokes the token it is sent with: the run's own token is swapped
    for a fresh one of a spare user of the same role, so the rest of the run stays signed in."""
    token = os.environ.get("CONTRACT_TOKEN")
    if not token or (case.method.upper(), case.path) != ("DELETE", "/api/auth/token"):
        return
    headers = case.headers or {}
    if headers.get("Authorization") != f"Bearer {token}":
        return  # no credentials, or made-up ones: sent as generated
    response = httpx.post(
        f"{os.environ['CONTRACT_BASE_URL']}/api/auth/token",
        json={
            "email": os.environ["CONTRACT_SPARE_EMAIL"],
            "password": os.environ["CONTRACT_SPARE_PASSWORD"],
        },
        timeout=30,
    )
    if response.status_code != 200:
        raise RuntimeError(
            f"the spare user could not sign in: {response.status_code} {response.text}"
        )
    case.headers = {**headers, "Authorization": f"Bearer {response.json()['token']}"}

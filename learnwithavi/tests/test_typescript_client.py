"""The frontend's typed client is generated from /api/schema/ and compiles (README: "Typed client").

openapi-typescript and TypeScript are pinned in clients/typescript/package-lock.json; `npm ci`
installs them on the first run (npm's cache serves the later ones). check.ts uses the types
the frontend relies on (nullable clerkId, the error shape, chat events, date query
parameters, Hebrew slugs), so the test fails when the schema stops saying them.
"""

import json
import shutil
import subprocess

import pytest

from testing.servers import ROOT

CLIENT = ROOT / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("npm") is None, reason="needs Node.js and npm"),
]


def _run(*command: str) -> str:
    result = subprocess.run(  # noqa: S603
        command, cwd=CLIENT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return result.stdout


def test_the_schema_generates_a_typescript_client_that_compiles(api_client, tmp_path):
    if not (BIN / "openapi-typescript").exists() or not (BIN / "tsc").exists():
        _run("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline")
    schema = api_client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    (tmp_path / "openapi.json").write_text(json.dumps(schema.json()))
    shutil.copy(CLIENT / "check.ts", tmp_path)
    shutil.copy(CLIENT / "tsconfig.json", tmp_path)

    _run(
        str(BIN / "openapi-typescript"),
        str(tmp_path / "openapi.json"),
        "-o",
        str(tmp_path / "api.d.ts"),
    )
    types = (tmp_path / "api.d.ts").read_text()
    assert '"/api/courses/{course_id}": {' in types
    assert "clerkId: string | null;" in types
    _run(str(BIN / "tsc"), "-p", str(tmp_path / "tsconfig.json"))

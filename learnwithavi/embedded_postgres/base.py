"""Django's PostgreSQL backend, pointed at the embedded server it starts on first use."""

from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base as postgresql


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        from learnwithavi.embedded_postgres.server import ensure_server

        # The project database must exist before Django connects to it (or to a test database).
        server = ensure_server(
            settings.EMBEDDED_POSTGRES_DIR, settings.DATABASES["default"]["NAME"]
        )
        self.settings_dict["HOST"] = server.socket_dir
        self.settings_dict["USER"] = server.user
        return super().get_connection_params()

"""Django's PostgreSQL backend, pointed at the embedded server it starts on first use."""

from typing import Any

import psycopg
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

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            return super().get_new_connection(conn_params)
        except psycopg.OperationalError:
            # The server crashed or was stopped under us: the next connection starts it again.
            if not self.revive_server():
                raise
            return super().get_new_connection(self.get_connection_params())

    def revive_server(self) -> bool:
        """Start the embedded server again if it has stopped (learnwithavi.adb calls this too)."""
        from learnwithavi.embedded_postgres.server import revive

        return revive(settings.EMBEDDED_POSTGRES_DIR)

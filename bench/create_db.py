"""Create the benchmark database named by DATABASE_URL if the server does
not have it yet, so that `make bench` needs only a running PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okryu_bench python bench/create_db.py
"""

import os
import sys

import environ
import psycopg
from psycopg import sql


def main() -> int:
    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    # Any server has the maintenance database "postgres" to connect to.
    # autocommit: CREATE DATABASE cannot run in a transaction.
    connection = psycopg.connect(dbname="postgres", user=config["USER"], password=config["PASSWORD"] or None,
                                 host=config["HOST"] or None, port=config["PORT"] or None, autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"Created the database {config['NAME']}.")
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

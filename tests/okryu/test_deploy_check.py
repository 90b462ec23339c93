"""Production settings pass Django's deployment checklist with nothing but
the four values every machine must give."""

import secrets
import subprocess
import sys

from django.conf import settings
from django.db import connection

from okryu import settings as production


def _production_env(secret_key: str) -> dict[str, str]:
    db = connection.settings_dict
    # The test database, over the server's socket directory (a query option,
    # since a path cannot be a URL's host).
    url = f"postgres://{db['USER']}@/{db['NAME']}?host={db['HOST']}&port={db['PORT']}"
    return {"SECRET_KEY": secret_key, "CARD_NUMBER_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "shop.example",
            "DATABASE_URL": url}


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--database", "default", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_only_the_four_required_values(db):
    result = _check_deploy(_production_env(secrets.token_urlsafe(50)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_the_card_number_key(db):
    env = _production_env(secrets.token_urlsafe(50))
    del env["CARD_NUMBER_KEY"]
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "CARD_NUMBER_KEY" in result.stderr


def test_check_deploy_fails_on_a_short_secret_key(db):
    result = _check_deploy(_production_env("too-short"))
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_hashes_passwords_with_argon2():
    # How it logs in and rehashes older hashes: test_login_protection.py.
    assert production.PASSWORD_HASHERS[0] == "okryu.hashers.OwaspArgon2PasswordHasher"

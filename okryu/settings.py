"""Okryu settings. Everything that differs between machines comes from the
environment (or a .env file beside manage.py) through django-environ."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="okryu-insecure-development-key")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
    # Derived from SECRET_KEY only for development, where losing the demo
    # cards' look-up hashes costs nothing.
    CARD_NUMBER_KEY = env.str("CARD_NUMBER_KEY", default=f"development-card-numbers:{SECRET_KEY}")
else:
    # No silent defaults in production: a missing value stops start-up here.
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    # The key of the card numbers' look-up hashes (payments.numbers). Not
    # derived from SECRET_KEY: rotating that must not make every card unknown.
    CARD_NUMBER_KEY = env.str("CARD_NUMBER_KEY")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "okryu",
    "okryu.notices",
    "catalog",
    "orders",
    "payments",
    "delivery",
    "lodging",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "csp",
    "axes",
    "procrastinate.contrib.django",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed for slow phone connections (static files are already
    # precompressed by WhiteNoise, which answers before this runs). BREACH:
    # Django masks the CSRF token anew on every response and this middleware
    # pads its output with random bytes, so a reflected query cannot be used
    # to guess a secret byte by byte from compressed lengths. Byte ranges
    # of media files stay uncompressed.
    "okryu.middleware.PageGZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Below the locale middleware, so the 503 page speaks the visitor's language.
    "okryu.middleware.DatabaseUnavailableMiddleware",
    "okryu.middleware.PrivatePagesNoStoreMiddleware",
    "okryu.middleware.ReadYourWritesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "okryu.middleware.RememberLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "okryu.urls"
WSGI_APPLICATION = "okryu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orders.context_processors.cart_summary",
                "okryu.notices.context_processors.unread_notices",
            ],
        },
    },
]

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from okryu.embedded_db import database_settings

    DATABASES = {"default": database_settings()}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Every connection gives up instead of hanging: waiting for a row lock, one
# statement, and a transaction left open by a stuck worker each have a limit
# (PostgreSQL's own settings, sent at connect; "0" turns one off). JIT is off:
# a search ranking thousands of matches, or the stays of a week, is costed
# past its threshold, and compiling took 0.1 to 1 s where the query ran in
# 60 to 700 ms (bench/README.md); no page runs a query long enough to gain.
_connection_settings = {
    "lock_timeout": env.str("DB_LOCK_TIMEOUT", default="5s"),
    "statement_timeout": env.str("DB_STATEMENT_TIMEOUT", default="15s"),
    "idle_in_transaction_session_timeout": env.str("DB_IDLE_IN_TRANSACTION_TIMEOUT", default="30s"),
    "jit": "off",
}
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = " ".join(
    [_options.get("options", ""), *(f"-c {name}={value}" for name, value in _connection_settings.items())]
).strip()
# Streaming replicas (DATABASE_REPLICA_URLS, comma-separated) take the reads
# of the pages that may be a moment stale (okryu.db.ReplicaRouter); with none
# every query goes to the primary. Same options as the primary, and a short
# connect timeout: a replica that does not answer is skipped for the primary.
DATABASE_REPLICAS = []
for _number, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _replica = {**DATABASES["default"], **env.db_url_config(_url)}
    _replica["OPTIONS"] = {**_options, "connect_timeout": env.int("DB_REPLICA_CONNECT_TIMEOUT", default=2)}
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica{_number}")
DATABASE_ROUTERS = ["okryu.db.ReplicaRouter"]
# Seconds a visitor's reads stay on the primary after a request that may have
# written (okryu.middleware.ReadYourWritesMiddleware): well above the replica
# lag the scale-out run measures (docs/deploy.md).
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
# Seconds a client is told to wait when the database is down (the 503 page).
DATABASE_RETRY_AFTER = env.int("DATABASE_RETRY_AFTER", default=10)

# A redis:// CACHE_URL gives django-redis (django-environ picks it when it is
# installed): it keeps one client per process, where Django's own Redis
# backend builds a new one for every call, a cost a cached page pays twice.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://okryu")}
# Catalogue entries each process keeps in its own memory in front of a shared
# cache (catalog/cache.py); none when the cache is already the process's own
# memory, or no cache at all.
CATALOG_PROCESS_CACHE_SIZE = env.int("CATALOG_PROCESS_CACHE_SIZE", default=0 if any(
    backend in CACHES["default"]["BACKEND"] for backend in ("locmem", "dummy")
) else 500)

# The app hosts behind the load balancer, host:port, the same list on every
# host (docs/deploy.md): the start-up check okryu.W001 warns when there are
# several and the cache is each process's own memory.
APP_HOSTS = env.list("APP_HOSTS", default=[])

AUTH_USER_MODEL = "okryu.User"
LOGIN_URL = "okryu:login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "catalog:home"

# ModelBackend behind django-axes' lockout check, as one backend.
AUTHENTICATION_BACKENDS = ["okryu.auth_backends.LoginAttemptsBackend"]
PASSWORD_HASHERS = [
    "okryu.hashers.OwaspArgon2PasswordHasher",
    # Older hashes still verify and are upgraded at the next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ko")
LANGUAGES = [("ko", "조선어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Pyongyang"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request bodies: forms here are small, so a large non-file body is refused
# (400) before it is parsed; uploaded files above the second limit stream to
# a temporary file instead of memory. The media helper's validators bound a
# file's own size.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_PERMISSIONS = 0o640
# Pillow's Image.MAX_IMAGE_PIXELS, set at start-up (okryu.apps): Pillow warns
# above it and refuses twice it; its own default is about 89 million.
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=24_000_000)

# The card network behind checkout: one class, replaceable by a real adapter.
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="payments.issuer.LocalIssuer")

# Text messages: one class, replaceable by an adapter for the SMS centre.
SMS_GATEWAY = env.str("SMS_GATEWAY", default="okryu.notices.sms.LocalOutbox")

# Background jobs (procrastinate) share the default database. Periodic jobs
# run on these cron lines (a sixth field counts seconds); every worker
# defers them, and the database keeps one job per tick whatever the number
# of workers.
JOBS_RELEASE_HOLDS_CRON = env.str("JOBS_RELEASE_HOLDS_CRON", default="*/5 * * * *")
JOBS_EXPIRE_ABANDONED_CRON = env.str("JOBS_EXPIRE_ABANDONED_CRON", default="*/15 * * * *")
JOBS_SETTLE_LAPSING_HOLDS_CRON = env.str("JOBS_SETTLE_LAPSING_HOLDS_CRON", default="7 * * * *")
JOBS_REPORT_STUCK_ORDERS_CRON = env.str("JOBS_REPORT_STUCK_ORDERS_CRON", default="*/30 * * * *")
JOBS_REMOVE_OLD_JOBS_CRON = env.str("JOBS_REMOVE_OLD_JOBS_CRON", default="0 4 * * *")
JOBS_SELLER_SCORES_CRON = env.str("JOBS_SELLER_SCORES_CRON", default="7 * * * *")
# Finished jobs stay this long for the admin's list; failed ones until a person deletes them.
JOBS_KEEP_FINISHED_HOURS = env.int("JOBS_KEEP_FINISHED_HOURS", default=7 * 24)

# The seller score (catalog.scores) counts this many days back; a seller
# with fewer orders in them shows "new" instead of a score.
SELLER_SCORE_DAYS = env.int("SELLER_SCORE_DAYS", default=90)
SELLER_SCORE_MIN_ORDERS = env.int("SELLER_SCORE_MIN_ORDERS", default=20)

# Lockout by username after repeated failures, whatever the address: a
# guesser who changes address is stopped too. The same cool-off ends it.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns when the address is not a lockout key. Here it must not be:
# phones on mobile data share carrier NAT addresses, so five typos by one
# customer would lock out everyone behind the same address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# axes' default verbose log names the username and address of every attempt.
AXES_VERBOSE = False

SESSION_ENGINE = "okryu.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Everything is self-hosted, and no page has inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Responses of these URL namespaces show someone's account, cart, cards,
# orders or deliveries: browsers and proxies must not store them.
NO_STORE_URL_NAMESPACES = ["okryu", "notices", "orders", "payments", "delivery", "lodging", "admin"]
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

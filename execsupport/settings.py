"""ExecSupport settings: one file, every knob from the environment with an embedded default.

The embedded default (no environment at all) is a development setup: a SQLite file beside
``manage.py`` and Celery tasks executed eagerly in-process. ``DEBUG=false`` switches on the
production strictness: ``SECRET_KEY`` is required, cookies are secure, HSTS is sent.
Every variable is documented in README.md and .env.example.

Why this module is long: Django reads one settings module, and this project keeps every knob in
it, each read from the environment beside its validation and its comment, in the order of the
README's table; an operator looking for a setting finds it here and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from execsupport.envconfig import (
    SecretFileEnv,
    is_loopback_host,
    redis_tls_options,
    redis_url_with_password,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Any variable X may instead be read from the file named by X_FILE (Docker/Kubernetes secrets:
# SECRET_KEY_FILE=/run/secrets/secret_key); the file wins over X. execsupport/envconfig.py.
env = SecretFileEnv()
SecretFileEnv.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (production). "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
# Key rotation: the previous key(s), comma-separated. Sessions, password-reset links and signed
# values made with them stay valid while new ones are made with SECRET_KEY; drop them after
# SESSION_COOKIE_AGE.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "simple_history",
    # Sign-in, second factor, single sign-on and the sessions page (django-allauth).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "execsupport",
    "strategy",
    "initiatives",
    "metrics",
    # The pages and API that span the core apps (above metrics; issue #20).
    "workspace",
    "security",
    "reviews",
    "activity",
    "assessment",
    "sheets",
    "surveys",
    "support",
    # Above every other app (it seeds them all); the runtime image leaves its builder out.
    "demo",
]

MIDDLEWARE = [
    "execsupport.middleware.RequestIdMiddleware",
    # Sees the final status of every API answer: 401s go to the security log.
    "security.middleware.ApiAuthFailureMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's locale (Accept-Language, among LANGUAGES) for dates shown and typed.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Who made each change in the history (an API token's person too: DRF sets request.user).
    "simple_history.middleware.HistoryRequestMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "execsupport.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout and absolute lifetime of sessions (tells why, in a message); Clear-Site-Data
    # on any response that ended a session.
    "execsupport.sessions.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After the messages: explains why it sends a person to enrol a second factor.
    "execsupport.mfa.SecondFactorRequiredMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires, so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "execsupport.urls"
WSGI_APPLICATION = "execsupport.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "execsupport.allauth.sign_in_options",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # A file, not :memory:, so a Celery worker process started by a test sees the test data.
    # The process id keeps two test runs in one checkout from sharing a file.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if "postgresql" in DATABASES["default"]["ENGINE"] and not env.bool(
        "POSTGRES_JIT", default=False
    ):
        # PostgreSQL's JIT compiles plans it guesses are costly; for the short queries of
        # pages it spends 30 ms compiling a 3 ms query. Off unless POSTGRES_JIT=true.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c jit=off").strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Messages live in the (database-backed) session, never in a cookie: one-time secrets (API
# tokens, webhook signing secrets) are shown through them.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Passwords: at least 12 characters, not in the bundled breached-password list (about 40,000:
# zxcvbn's 30,000 + Django's 20,000, offline), not containing the product's or the company's
# name (PASSWORD_CONTEXT_WORDS + company-level team names). execsupport/passwords.py and
# strategy/passwords.py.
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=12)
PASSWORD_CONTEXT_WORDS = env.list("PASSWORD_CONTEXT_WORDS", default=["execsupport"])
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": max(12, PASSWORD_MIN_LENGTH)},
    },
    {"NAME": "execsupport.passwords.BreachedPasswordValidator"},
    {"NAME": "strategy.passwords.ContextWordsValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id first; a password stored with an older hasher is re-hashed with Argon2 at its
# next sign-in (Django does this when the first hasher differs from the stored one).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# Every sign-in (pages, /admin/, the browsable API, password reset) is django-allauth's:
# password (or single sign-on), then the second factor when the person has one.
ACCOUNT_ADAPTER = "execsupport.allauth.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
# Accounts are made by invitation (the People pages, strategy/invitations.py) or the admin,
# never by signing up; addresses are not confirmed by mail (password reset mails the address
# on the account).
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = True
# Seconds a sign-in or reauthentication counts as fresh for sensitive changes (second
# factors, password): after that, allauth asks for the password or the second factor again.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# allauth's own limits (in the cache; beside django-axes): failed sign-ins per address only
# (a per-account limit would let anyone who knows a username keep it locked from everywhere;
# django-axes locks username and address together), password reset requests per address and
# per address mailed (PASSWORD_RESET_RATE_LIMIT).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip"),
    "reset_password": env.str("PASSWORD_RESET_RATE_LIMIT", default="5/m/ip,3/h/key"),
    "reset_password_from_key": "20/m/ip",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[ExecSupport] "

# Second factor: authenticator app (TOTP), security keys and passkeys (WebAuthn), recovery
# codes. MFA_REQUIRED_FOR_STAFF: the strategy office, staff and superusers must enrol one
# before any page (execsupport.mfa); on by default in production, off with DEBUG=true.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_ADAPTER = "execsupport.allauth.MFAAdapter"
MFA_TOTP_ISSUER = "ExecSupport"
MFA_PASSKEY_LOGIN_ENABLED = False
# Browsers allow WebAuthn on http://localhost; the fido2 library checks the origin itself.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=not DEBUG)

# Single sign-on with OpenID Connect (Entra ID, Okta, Google Workspace, Keycloak, ...):
# configured when SSO_OIDC_SERVER_URL is set. A person signing in this way is matched by the
# e-mail address the provider says it verified to exactly one active account here (then
# linked by the provider's subject id); anyone else is refused unless SSO_CREATE_USERS=true.
# SSO_ONLY=true turns password sign-in and password reset off.
SSO_ONLY = env.bool("SSO_ONLY", default=False)
SSO_CREATE_USERS = env.bool("SSO_CREATE_USERS", default=False)
SSO_OIDC_SERVER_URL = env.str("SSO_OIDC_SERVER_URL", default="")
SOCIALACCOUNT_ADAPTER = "execsupport.allauth.SocialAccountAdapter"
SOCIALACCOUNT_ONLY = SSO_ONLY
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # matching is ours (execsupport.allauth)
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": env.str("SSO_OIDC_PROVIDER_ID", default="sso"),
                "name": env.str("SSO_OIDC_NAME", default="Single sign-on"),
                "client_id": env.str("SSO_OIDC_CLIENT_ID", default=""),
                "secret": env.str("SSO_OIDC_CLIENT_SECRET", default=""),
                "settings": {"server_url": SSO_OIDC_SERVER_URL},
            }
        ]
        if SSO_OIDC_SERVER_URL
        else [],
    }
}
if SSO_ONLY and not SSO_OIDC_SERVER_URL:
    raise ImproperlyConfigured("SSO_ONLY=true needs a provider: set SSO_OIDC_SERVER_URL.")

# Sessions end after SESSION_IDLE_TIMEOUT_MINUTES without a request and, in any case,
# SESSION_MAX_AGE_HOURS after sign-in (execsupport.sessions). The sessions page lists a
# person's sessions and ends the others.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_MAX_AGE_HOURS = env.int("SESSION_MAX_AGE_HOURS", default=12)
SESSION_COOKIE_AGE = SESSION_MAX_AGE_HOURS * 3600
USERSESSIONS_TRACK_ACTIVITY = False

# The client's address (execsupport/client_ip.py): the number of reverse proxies in front of
# the app whose X-Forwarded-For entries are trusted, read from the right (0: REMOTE_ADDR).
# Lockouts, rate limits, API throttles and the security log all use it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT is a number of proxies: 0 or more.")
# django-allauth asks the same resolver (execsupport.allauth.AccountAdapter.get_client_ip).

# django-axes: lock out a username+IP pair after repeated failed logins; the address comes
# from the one resolver, so behind a proxy each client counts apart (not the proxy's address).
AXES_CLIENT_IP_CALLABLE = "execsupport.client_ip.client_ip"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Typed usernames are clipped to what the lockout table stores (execsupport.auth).
AXES_USERNAME_CALLABLE = "execsupport.auth.lockout_username"

# --- Security log (security/) ---------------------------------------------------------------
# Events are kept this many days (0: forever), pruned daily by beat (security.events_prune).
SECURITY_LOG_RETENTION_DAYS = env.int("SECURITY_LOG_RETENTION_DAYS", default=365)
# Failures anyone can cause (failed sign-ins, lockouts, API 401s): repeats from one address
# within the window raise a count instead of adding rows, and at most MAX_ROWS such rows are
# written per window (beyond: one overflow row per kind).
SECURITY_LOG_FAILURE_WINDOW_SECONDS = env.int("SECURITY_LOG_FAILURE_WINDOW_SECONDS", default=300)
SECURITY_LOG_FAILURE_MAX_ROWS = env.int("SECURITY_LOG_FAILURE_MAX_ROWS", default=100)

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# The text is English; these variants differ in how dates are written and read (31/12/2026 in
# the UK, 12/31/2026 in the US): LocaleMiddleware picks the reader's from Accept-Language, and
# Django's localization shows dates (SHORT_DATE_FORMAT...) and parses typed ones by it.
LANGUAGES = [
    ("en", "English (US)"),
    ("en-gb", "English (UK)"),
    ("en-au", "English (Australia)"),
    ("en-ca", "English (Canada)"),
    ("en-ie", "English (Ireland)"),
]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
CURRENCY = env.str("CURRENCY", default="EUR")

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# static/vendor/ holds committed third-party files (plotly.js basic bundle: see its README).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# ALLOW_PLAIN_HTTP=true: the explicit override for trying a production build over plain HTTP
# (secure cookies, HTTPS redirect and HSTS default to off). Turning one of the secure cookies
# off without it is an error of `check --deploy` (execsupport/checks.py).
ALLOW_PLAIN_HTTP = env.bool("ALLOW_PLAIN_HTTP", default=False)
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not ALLOW_PLAIN_HTTP)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not ALLOW_PLAIN_HTTP)
    # __Host- cookies: sent over HTTPS only, for this exact host (no Domain), on path /; a
    # sibling subdomain cannot plant or overwrite them.
    if SESSION_COOKIE_SECURE:
        SESSION_COOKIE_NAME = "__Host-sessionid"
    if CSRF_COOKIE_SECURE:
        CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not ALLOW_PLAIN_HTTP)
    SECURE_HSTS_SECONDS = env.int(
        "SECURE_HSTS_SECONDS", default=0 if ALLOW_PLAIN_HTTP else 31536000
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # Health probes (docker-compose, load balancers) call /healthz over plain HTTP inside the
    # host: answered there, not redirected (it shows no data, execsupport/health.py).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# django-csp 4: everything from our own origin; plotly needs inline styles for its SVG.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend" and not (
    EMAIL_CONFIG.get("EMAIL_USE_TLS") or EMAIL_CONFIG.get("EMAIL_USE_SSL")
):
    # SMTP with TLS by default: smtp:// asks for STARTTLS (certificate verified) unless the
    # server is on this machine (a local relay) or EMAIL_USE_TLS=false says otherwise;
    # smtp+tls:// and smtp+ssl:// choose explicitly. `check --deploy` flags plain SMTP to another
    # host in production.
    EMAIL_CONFIG["EMAIL_USE_TLS"] = env.bool(
        "EMAIL_USE_TLS", default=not is_loopback_host(EMAIL_CONFIG.get("EMAIL_HOST"))
    )
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ExecSupport <execsupport@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------
# REDIS_PASSWORD (or REDIS_PASSWORD_FILE) is put into every Redis URL below that has none
# (broker, result backend, CACHE_URL), quoted. rediss:// URLs verify the server's certificate
# against the system CAs or REDIS_TLS_CA_CERTS (a PEM file).
REDIS_PASSWORD = env.str("REDIS_PASSWORD", default="")
REDIS_TLS_CA_CERTS = env.str("REDIS_TLS_CA_CERTS", default="")
REDIS_URL = redis_url_with_password(env.str("REDIS_URL", default=""), REDIS_PASSWORD)
CELERY_BROKER_URL = redis_url_with_password(
    env.str("CELERY_BROKER_URL", default=REDIS_URL), REDIS_PASSWORD
)
CELERY_BROKER_USE_SSL = redis_tls_options(CELERY_BROKER_URL, ca_certs=REDIS_TLS_CA_CERTS)
# With no broker configured, tasks run eagerly in-process so the embedded default needs no Redis.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"
# No result store: nothing reads task results (the full recompute records its run and chunks in
# the database, metrics.RecomputeRun). Tasks ignore their results even when a backend is set, so
# enqueueing never makes a result-store round trip (with Redis down, the Redis result backend
# retried 20 x 1 s on every enqueue: a 19 s write).
CELERY_RESULT_BACKEND = (
    redis_url_with_password(env.str("CELERY_RESULT_BACKEND", default=""), REDIS_PASSWORD) or None
)
CELERY_REDIS_BACKEND_USE_SSL = redis_tls_options(
    CELERY_RESULT_BACKEND or "", ca_certs=REDIS_TLS_CA_CERTS
)
CELERY_TASK_IGNORE_RESULT = True
# Bounded too, should a result backend be configured (e.g. to read the ping smoke task).
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_RESULT_EXPIRES = 3600
# A killed worker must not lose work: acknowledge after the task ran, requeue on worker loss.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when Redis is down: a request never hangs on the broker (the
# enqueue is logged and dropped; the dirty marks in the database make the sweep catch up).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # One reconnection attempt at once, then give up (kombu's default waits 2 s first).
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 30
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True

# --- Gap engine -----------------------------------------------------------------------------
# Status thresholds on attainment (progress / expected progress); rollup scores use the same
# thresholds on their 0-100 health (x 100).
GAP_ON_TRACK_ATTAINMENT = env.float("GAP_ON_TRACK_ATTAINMENT", default=0.9)
GAP_OFF_TRACK_ATTAINMENT = env.float("GAP_OFF_TRACK_ATTAINMENT", default=0.7)
# A KPI value (or a check-in) is stale after cadence x grace days.
GAP_STALE_GRACE = env.float("GAP_STALE_GRACE", default=1.5)
# Forecast (metrics/scoring/forecast.py): window of max(WINDOW cadence steps, WINDOW_DAYS days);
# no forecast with fewer than MIN_POINTS measurements in it; at most MAX_POINTS of them are
# used; the spread per step is at least SPREAD_FLOOR of the plan's distance; "misses" when
# P(the value on the target date meets the target) < MISS_BELOW. Checked at start-up
# (metrics.apps): a bad value stops the process with a message naming the setting.
GAP_FORECAST_WINDOW = env.int("GAP_FORECAST_WINDOW", default=12)
GAP_FORECAST_WINDOW_DAYS = env.int("GAP_FORECAST_WINDOW_DAYS", default=90)
GAP_FORECAST_MIN_POINTS = env.int("GAP_FORECAST_MIN_POINTS", default=6)
GAP_FORECAST_MAX_POINTS = env.int("GAP_FORECAST_MAX_POINTS", default=200)
GAP_FORECAST_INTERVAL = env.float("GAP_FORECAST_INTERVAL", default=0.8)
GAP_FORECAST_SPREAD_FLOOR = env.float("GAP_FORECAST_SPREAD_FLOOR", default=0.005)
GAP_FORECAST_MISS_BELOW = env.float("GAP_FORECAST_MISS_BELOW", default=0.5)
GAP_FROZEN_MIN_REPEATS = env.int("GAP_FROZEN_MIN_REPEATS", default=4)
GAP_FROZEN_FACTOR = env.float("GAP_FROZEN_FACTOR", default=3.0)
GAP_OUTLIER_Z = env.float("GAP_OUTLIER_Z", default=3.5)
# Most recent measurements per KPI the engine loads (forecast and data-quality window).
GAP_HISTORY_POINTS = env.int("GAP_HISTORY_POINTS", default=60)
GAP_BUDGET_TOLERANCE = env.float("GAP_BUDGET_TOLERANCE", default=0.15)
GAP_SCHEDULE_SLIP = env.float("GAP_SCHEDULE_SLIP", default=0.7)
GAP_CHUNK_SIZE = env.int("GAP_CHUNK_SIZE", default=500)
# A chunk of a full recompute whose worker has not beaten its heartbeat (every quarter of this)
# for this long belonged to a dead worker: the sweep gives it to another one.
GAP_CHUNK_LEASE_SECONDS = env.int("GAP_CHUNK_LEASE_SECONDS", default=120)
# A chunk that failed this many times gives up its run (logged as an error).
GAP_CHUNK_MAX_ATTEMPTS = env.int("GAP_CHUNK_MAX_ATTEMPTS", default=5)
GAP_SWEEP_MINUTES = env.float("GAP_SWEEP_MINUTES", default=15)
GAP_NIGHTLY_HOUR = env.int("GAP_NIGHTLY_HOUR", default=2)
GAP_NIGHTLY_MINUTE = env.int("GAP_NIGHTLY_MINUTE", default=30)
# The sweep re-enqueues subjects still marked dirty this long after the mark.
GAP_DIRTY_GRACE_SECONDS = env.int("GAP_DIRTY_GRACE_SECONDS", default=60)
# An alert that reopens within this many hours of its last notification does not notify again.
GAP_ALERT_RENOTIFY_HOURS = env.float("GAP_ALERT_RENOTIFY_HOURS", default=24)

# --- Assessment -------------------------------------------------------------------------------
# Calibration (Brier score, reliability table) of an owner's, a team's or the forecasts' stated
# probabilities is shown only from this many closed cases (initiatives or KPIs) on.
CALIBRATION_MIN_CASES = env.int("CALIBRATION_MIN_CASES", default=5)
# Hysteresis (metrics/alerts/tables.py HYSTERESIS): an active alert whose condition is back within
# its margin resolves once it has stayed clear this many days (days, may be a fraction).
GAP_ALERT_CLEAR_DAYS = env.float("GAP_ALERT_CLEAR_DAYS", default=14)
# The longest snooze a person may set, in days.
GAP_ALERT_SNOOZE_MAX_DAYS = env.int("GAP_ALERT_SNOOZE_MAX_DAYS", default=90)
GAP_WEBHOOK_TIMEOUT = env.float("GAP_WEBHOOK_TIMEOUT", default=5)
GAP_WEBHOOK_MAX_RETRIES = env.int("GAP_WEBHOOK_MAX_RETRIES", default=6)
GAP_WEBHOOK_BACKOFF_SECONDS = env.int("GAP_WEBHOOK_BACKOFF_SECONDS", default=30)
# The notification outbox: attempts per message, first retry delay (doubling), sending lease.
GAP_OUTBOX_MAX_ATTEMPTS = env.int("GAP_OUTBOX_MAX_ATTEMPTS", default=6)
GAP_OUTBOX_BACKOFF_SECONDS = env.int("GAP_OUTBOX_BACKOFF_SECONDS", default=60)
GAP_OUTBOX_LEASE_SECONDS = env.int("GAP_OUTBOX_LEASE_SECONDS", default=300)
# The e-mail that a review pack is frozen also carries the pack as a PDF (made for each
# participant when sent; needs WeasyPrint's system libraries, see execsupport/pdf.py).
REVIEW_PACK_PDF_EMAIL = env.bool("REVIEW_PACK_PDF_EMAIL", default=False)
# A pack's PDF is made by a worker (reviews.pdf, stored in the database) and printed short: the
# diff and each section's first REVIEW_PACK_PDF_ROWS items (the weakest first), then "and M
# more, see the online pack". A render taken longer than REVIEW_PDF_LEASE_SECONDS is a dead
# worker's (the sweep or the next request takes it back); a pending one whose message is older
# than REVIEW_PDF_RESEND_SECONDS is sent again (a lost message).
REVIEW_PACK_PDF_ROWS = env.int("REVIEW_PACK_PDF_ROWS", default=10)
REVIEW_PDF_LEASE_SECONDS = env.int("REVIEW_PDF_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
REVIEW_PDF_RESEND_SECONDS = env.int("REVIEW_PDF_RESEND_SECONDS", default=120)
# The noise budget: a person is told at once of at most this many alerts a day (TIME_ZONE days;
# the most severe first); the others wait for the daily digest, built from the outbox at
# NOTIFY_DIGEST_HOUR:NOTIFY_DIGEST_MINUTE. 0 sends every alert through the digest.
NOTIFY_IMMEDIATE_PER_DAY = env.int("NOTIFY_IMMEDIATE_PER_DAY", default=5)
NOTIFY_DIGEST_HOUR = env.int("NOTIFY_DIGEST_HOUR", default=17)
NOTIFY_DIGEST_MINUTE = env.int("NOTIFY_DIGEST_MINUTE", default=0)
if NOTIFY_IMMEDIATE_PER_DAY < 0:
    raise ImproperlyConfigured("NOTIFY_IMMEDIATE_PER_DAY must be 0 or more.")
# Check-in and measurement reminders (metrics/reminders.py): once from this many days before
# the due day, once when late; built daily at NOTIFY_REMINDER_HOUR (TIME_ZONE).
NOTIFY_REMIND_BEFORE_DAYS = env.int("NOTIFY_REMIND_BEFORE_DAYS", default=2)
NOTIFY_REMINDER_HOUR = env.int("NOTIFY_REMINDER_HOUR", default=8)
if NOTIFY_REMIND_BEFORE_DAYS < 0 or not 0 <= NOTIFY_REMINDER_HOUR <= 23:
    raise ImproperlyConfigured(
        "NOTIFY_REMIND_BEFORE_DAYS must be 0 or more and NOTIFY_REMINDER_HOUR 0 to 23."
    )
# History of every change (django-simple-history, activity/history/): the admin's own revert
# form is off; an earlier version is restored only through activity's restore (validated,
# strategy office only, itself recorded).
SIMPLE_HISTORY_REVERT_DISABLED = True
# A comment can be edited by its author for this many minutes after posting (activity app).
COMMENT_EDIT_MINUTES = env.int("COMMENT_EDIT_MINUTES", default=15)
# Webhooks call https:// URLs on public addresses only (execsupport/outbound.py), checked at
# save and before each request, which goes to the address checked and follows no redirect.
# WEBHOOK_ALLOW_HTTP: also plain http:// (local testing only). WEBHOOK_ALLOWED_NETWORKS:
# CIDRs inside your own network that webhooks may reach on purpose (e.g. 10.20.0.0/16);
# cloud metadata addresses stay refused.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])

CELERY_BEAT_SCHEDULE = {
    "gaps-sweep": {
        "task": "metrics.gaps_sweep",
        "schedule": GAP_SWEEP_MINUTES * 60.0,
        "options": {"expires": GAP_SWEEP_MINUTES * 60},
    },
    "gaps-nightly-recompute": {
        "task": "metrics.gaps_recompute_all",
        "schedule": crontab(hour=GAP_NIGHTLY_HOUR, minute=GAP_NIGHTLY_MINUTE),
        "options": {"expires": 6 * 3600},
    },
    "security-events-prune": {
        "task": "security.events_prune",
        "schedule": crontab(hour=3, minute=45),
        "options": {"expires": 6 * 3600},
    },
    "notify-daily-digest": {
        "task": "metrics.digests_send",
        "schedule": crontab(hour=NOTIFY_DIGEST_HOUR, minute=NOTIFY_DIGEST_MINUTE),
        "options": {"expires": 6 * 3600},
    },
    "notify-reminders": {
        "task": "metrics.reminders_send",
        "schedule": crontab(hour=NOTIFY_REMINDER_HOUR, minute=15),
        "options": {"expires": 6 * 3600},
    },
    # Hourly: each person's weekly digest leaves at their own day and hour (their time zone).
    "notify-weekly-digests": {
        "task": "metrics.weekly_digests_send",
        "schedule": crontab(minute=5),
        "options": {"expires": 3000},
    },
    # The review cycle: packs of the meetings that have started (reviews.services).
    "reviews-freeze-due-packs": {
        "task": "reviews.packs_freeze_due",
        "schedule": 15 * 60.0,
        "options": {"expires": 15 * 60},
    },
    # Pack PDFs left by a dead worker or a lost message are made after all (reviews.pdf).
    "reviews-pdf-sweep": {
        "task": "reviews.pack_pdfs_resume",
        "schedule": 5 * 60.0,
        "options": {"expires": 5 * 60},
    },
    # Overdue action items raise their alerts (reviews.overdue, through metrics' alert rules).
    "reviews-action-items-overdue": {
        "task": "reviews.action_items_alerts",
        "schedule": crontab(minute=20),
        "options": {"expires": 3000},
    },
}

# --- Cache ----------------------------------------------------------------------------------
# API throttling counts requests here: use Redis in production so every worker shares the count.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["LOCATION"] = redis_url_with_password(
        CACHES["default"]["LOCATION"], REDIS_PASSWORD
    )
    if CACHES["default"]["LOCATION"].startswith("rediss://") and REDIS_TLS_CA_CERTS:
        CACHES["default"].setdefault("OPTIONS", {})["ssl_ca_certs"] = REDIS_TLS_CA_CERTS
# Redis down must not mean 500s: this backend answers a miss (logged) while Redis is
# unreachable, so pages are built afresh and throttling lets requests through.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "execsupport.cache.ResilientRedisCache"

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "strategy.permissions.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["strategy.permissions.AccessPermission"],
    "DEFAULT_SCHEMA_CLASS": "execsupport.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "execsupport.api.CSVRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # One JSON parser (orjson) for every endpoint: deep nesting, NaN and oversized bodies are a
    # 400/413 everywhere, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "execsupport.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "execsupport.api.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "execsupport.api.TokenRateThrottle",
        "execsupport.api.UserRateThrottle",
        "execsupport.api.AnonRateThrottle",
    ],
    "EXCEPTION_HANDLER": "execsupport.api.exception_handler",
    # Strict ?format= (an empty or unknown one is a 400), see execsupport/query.py.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "execsupport.query.StrictContentNegotiation",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per minute (or "/hour", "/day"); each token and each signed-in person counts apart.
API_THROTTLE_TOKEN = env.str("API_THROTTLE_TOKEN", default="1200/min")
API_THROTTLE_USER = env.str("API_THROTTLE_USER", default="600/min")
API_THROTTLE_ANON = env.str("API_THROTTLE_ANON", default="60/min")
# Sensitive actions (execsupport/ratelimit.py), per person and per client address; empty: none.
RATE_LIMIT_INVITATIONS = env.str("RATE_LIMIT_INVITATIONS", default="20/hour")
# Days an invitation link works after it was (re)sent (strategy/invitations.py).
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)
# Largest measurement batch accepted by POST /api/v1/measurements/ingest/.
API_INGEST_MAX_ROWS = env.int("API_INGEST_MAX_ROWS", default=10_000)
# Days a token lives when its creator does not choose (0: the longest allowed, below).
API_TOKEN_DEFAULT_TTL_DAYS = env.int("API_TOKEN_DEFAULT_TTL_DAYS", default=365)
# No token lives longer (a token created without an expiry, e.g. in the admin, gets this).
# A person's tokens are revoked when their password changes or they are deactivated.
API_TOKEN_MAX_TTL_DAYS = env.int("API_TOKEN_MAX_TTL_DAYS", default=365)
# Hours a setup link (manage.py setup_link) stays valid; it works once.
SETUP_LINK_HOURS = env.int("SETUP_LINK_HOURS", default=24)
REST_KNOX = {
    "TOKEN_PREFIX": "es_",
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": None,
}
KNOX_TOKEN_MODEL = "strategy.ApiToken"  # noqa: S105  (a model name, not a secret)
# knox's own migrations would create its default token table even though strategy.ApiToken
# replaces it; that orphan table (with a key to auth_user) breaks TRUNCATE on PostgreSQL.
MIGRATION_MODULES = {"knox": None}
SPECTACULAR_SETTINGS = {
    "TITLE": "ExecSupport API",
    "DESCRIPTION": (
        "KPIs, measurements, initiatives, gap scores and alerts. Authenticate with a session "
        "or with `Authorization: Bearer <token>`. Errors always have the shape of `Error`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc come from drf-spectacular-sidecar as our own static files (no CDN);
    # with the split views no inline script is needed, so the CSP keeps script-src 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Integrations send JSON; the form parsers serve the browsable API only (a form cannot say
    # null, so its bodies are not the schema's).
    "PARSER_WHITELIST": ["execsupport.api.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "execsupport.api.schema_postprocess",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ObjectiveStatusEnum": "strategy.models.Objective.Status",
        "StrategyStatusEnum": "strategy.models.Strategy.Status",
        "InitiativeStatusEnum": "initiatives.models.Initiative.Status",
        "ScoreStatusEnum": "metrics.models.GapScore.Status",
        "AlertStatusEnum": "metrics.models.Alert.Status",
        "SeverityEnum": "metrics.models.Alert.Severity",
        "DeliveryEnum": "metrics.models.Delivery",
        "WebhookKindEnum": "metrics.models.Webhook.Kind",
        "AlertKindEnum": "metrics.models.Alert.Kind",
        "SubjectTypeEnum": "metrics.models.SubjectType",
        "AssessmentReportStatusEnum": "support.models.AssessmentReport.Status",
    },
}

# --- Logging --------------------------------------------------------------------------------
# Security events (security.services) are one JSON object per line on their own logger
# (python-json-logger): who, when, address, request id, details; ready for a log shipper.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "timestamp": True,
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "security": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "execsupport.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
    },
}

# --- Pulse surveys (surveys/) -------------------------------------------------------------------
# A survey figure (per team, per question) is shown only when at least this many people
# answered; start-up refuses less than 3 (check surveys.E001). See surveys/anonymity.py.
SURVEY_MIN_RESPONDENTS = env.int("SURVEY_MIN_RESPONDENTS", default=5)

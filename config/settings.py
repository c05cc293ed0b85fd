"""RHMS settings, read from the environment (django-environ).

One module for every environment. No key is committed: with DJANGO_DEBUG on, the keys come from this checkout's
.data/dev-keys.env (scripts/lib/env.sh generates it); with debug off they must be set, long and different.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    # This checkout's own development keys, generated once by scripts/run, scripts/test and scripts/bench
    # (scripts/lib/env.sh); the environment and .env win. Nothing in the repository can sign a token.
    environ.Env.read_env(BASE_DIR / ".data" / "dev-keys.env", overwrite=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default="")

for _name, _key in (("DJANGO_SECRET_KEY", SECRET_KEY), ("JWT_SIGNING_KEY", JWT_SIGNING_KEY)):
    if not _key:
        raise ImproperlyConfigured(f"{_name} must be set (scripts/run keeps development keys in .data/dev-keys.env).")
    if not DEBUG and len(_key) < 50:
        raise ImproperlyConfigured(f"{_name} must be set to a long random value when DJANGO_DEBUG is off.")
if not DEBUG and JWT_SIGNING_KEY == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from DJANGO_SECRET_KEY.")

# The platform's own host: the public schema (API, registration form, Django admin). Hospitals live on
# <slug>.<BASE_DOMAIN>.
BASE_DOMAIN = env("BASE_DOMAIN", default="localhost")
SITE_SCHEME = env("SITE_SCHEME", default="http" if DEBUG else "https")
SITE_PORT = env("SITE_PORT", default="8000" if DEBUG else "")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])

# Applications ---------------------------------------------------------------------------------------------------

SHARED_APPS = [
    "django_tenants",
    "shared_apps.common",
    "shared_apps.accounts",
    "shared_apps.hospitals",
    "shared_apps.audit",
    "shared_apps.notifications",
    "shared_apps.directory",
    "shared_apps.events",
    "shared_apps.webhooks",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "corsheaders",
    "axes",
    "django_ratelimit",
    "csp",
    "phonenumber_field",
]
TENANT_APPS = [
    "tenant_apps.doctors",
    "tenant_apps.appointments",
    "tenant_apps.waitlist",
    "tenant_apps.dashboard",
]

INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "hospitals.Hospital"
TENANT_DOMAIN_MODEL = "hospitals.Domain"
# New hospitals are cloned from this template schema, which `migrate_schemas` keeps current (see
# shared_apps/hospitals/tenancy/); cloning with faked migrations is several times faster than migrating.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
GET_EXECUTOR_FUNCTION = "shared_apps.hospitals.tenancy.migration_executor"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenants"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# One `SET search_path` per connection checkout and schema switch, not one per cursor: django-tenants forgets the
# path it set on close (a pooled connection handed out again), on rollback and on a savepoint's rollback, and sets
# it again on the next cursor (tests: shared_apps/hospitals/tests/test_search_path.py).
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "shared_apps.hospitals.tenancy.HospitalMiddleware",
    "shared_apps.common.middleware.RequestSizeLimitMiddleware",
    "shared_apps.audit.context.AuditContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # ETag on every GET that has none (cached responses bring theirs) and 304 for a matching If-None-Match.
    "django.middleware.http.ConditionalGetMiddleware",
    "csp.middleware.CSPMiddleware",
    "shared_apps.common.middleware.DashboardNoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, so its process_exception sees a plain view's database outage first (503 instead of 500).
    "shared_apps.common.outage.DatabaseOutageMiddleware",
]

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
                "tenant_apps.dashboard.context_processors.hospital_branding",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Services ------------------------------------------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/rhms")}
DATABASES["default"]["ENGINE"] = "shared_apps.common.db_backend"  # django-tenants' backend (see its base.py)
# Connections are reused: starting a PostgreSQL backend costs more than most requests (see README, Performance).
# Under ASGI (how the web serves) every request runs in a thread of its own, so a connection kept per thread
# (CONN_MAX_AGE) would be one per request: a pool per process hands connections over instead. DATABASE_POOL=false
# falls back to persistent connections (WSGI only, e.g. behind a pooler of its own, in session mode only).
if env.bool("DATABASE_POOL", default=True):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # the backend checks each pooled connection it hands out
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=20),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10),  # then the request answers 503
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "shared_apps.common.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="rhms"),
        # The cache fails open while Redis is down, fast, and logs the outage once (shared_apps/common/cache.py).
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            "CONNECTION_POOL_CLASS": "shared_apps.common.cache.OutageAwareConnectionPool",
        },
    }
}
# Rate limits of HTML forms are not enforced while the cache is down (as the API's throttles).
RATELIMIT_FAIL_OPEN = True
LOCAL_CACHE_ONLY = env("CACHE_BACKEND", default="redis") == "locmem"  # scripts/run on a machine without Redis
if LOCAL_CACHE_ONLY:
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}

# Live updates (shared_apps/events) ---------------------------------------------------------------------------------

# The streams' fan-out across web processes: channels-redis groups (a capacity-bounded list per stream, so a slow
# stream's wake-ups are dropped, never piled up; the stream reads the event log itself).
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py's async pool refuses a command beyond 100 connections in use (MaxConnectionsError): a burst
            # of streams opening at once (after a deploy) needs more. Its default read timeout (5 s) equals the
            # layer's blocking receive (BZPOPMIN, 5 s): an idle stream's receive would time out and end the stream.
            "hosts": [
                {
                    "address": env("CHANNEL_LAYER_REDIS_URL", default=REDIS_URL),
                    "max_connections": 1000,
                    "socket_timeout": 15,
                }
            ],
            "prefix": env("CACHE_KEY_PREFIX", default="rhms") + ":events",
            "capacity": 100,
            "expiry": 60,
        },
    }
}
if LOCAL_CACHE_ONLY:  # one process only: scripts/run without Redis serves one web worker
    CHANNEL_LAYERS["default"] = {"BACKEND": "channels.layers.InMemoryChannelLayer"}
EVENTS_RETENTION_HOURS = max(24, env.int("EVENTS_RETENTION_HOURS", default=48))
EVENTS_HEARTBEAT_SECONDS = env.float("EVENTS_HEARTBEAT_SECONDS", default=20)
# A stream whose write waits this long (its client reads nothing) is dropped; the client resumes from the log.
EVENTS_WRITE_TIMEOUT_SECONDS = env.float("EVENTS_WRITE_TIMEOUT_SECONDS", default=30)

# Accounts and passwords -------------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Set-password links (invitations and resets) expire after this many seconds.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_LINK_TIMEOUT_SECONDS", default=72 * 3600)

# Lockout after repeated failed logins (django-axes), keyed on user + real client IP.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# Failures count per account as sign-in finds it (trimmed, lower case), not per spelling typed.
AXES_USERNAME_CALLABLE = "shared_apps.accounts.lockout.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Number of reverse proxies in front of the app; the client IP is taken that many hops from the right of
# X-Forwarded-For (0: REMOTE_ADDR only, so a client cannot forge its address).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "shared_apps.audit.context.client_ip_from"
AXES_LOCKOUT_CALLABLE = "shared_apps.common.views.locked_out"

# API -------------------------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["shared_apps.common.parsers.JSONParser"],  # nesting bounded
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "shared_apps.common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "shared_apps.common.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "shared_apps.common.schema.AutoSchema",
    # Every endpoint: per client IP when anonymous, per account when signed in. Views with a `throttle_scope`
    # (login, register, password) set their own, tighter classes instead.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="20/min"),
        "register": env("THROTTLE_REGISTER", default="10/hour"),
        "password": env("THROTTLE_PASSWORD", default="10/hour"),
        "anon": env("THROTTLE_ANON", default="600/min"),
        "user": env("THROTTLE_USER", default="1200/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "RHMS API",
    "DESCRIPTION": (
        "Public JSON API of RHMS, the multi-tenant hospital booking service. Every endpoint lives on the platform "
        "host under /api/. Authenticate with `Authorization: Bearer <access token>` from /api/auth/login/. Errors "
        'have the shape {"error": {"code", "message", "fields"}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    # Named enums (a client generator names unnamed ones after the field: `when` is a keyword in Dart). Every enum
    # query parameter needs an entry here (shared_apps.common.schema.postprocess_parameter_enums).
    "ENUM_NAME_OVERRIDES": {
        "AppointmentStatusEnum": "tenant_apps.appointments.models.AppointmentStatus",
        "AppointmentWhenEnum": ["upcoming", "past"],
        "CalendarFormatEnum": ["ics", "json"],
        "CancelledByEnum": "shared_apps.directory.models.CancelledBy",
        "DoctorStatusEnum": "tenant_apps.doctors.models.DoctorStatus",
        "DirectoryOrderingEnum": "shared_apps.directory.selectors.DIRECTORY_ORDERINGS",
        "HospitalStatusEnum": "shared_apps.hospitals.models.HospitalStatus",
        "NotificationStatusEnum": "shared_apps.notifications.models.NotificationStatus",
        "WaitlistStatusEnum": "tenant_apps.waitlist.models.WaitlistStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "shared_apps.common.schema.postprocess_parameter_enums",
    ],
    # Swagger UI's assets come from drf-spectacular-sidecar, served by us: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# Hospital dashboards on their subdomains may call the API; nothing else (never a wildcard).
CORS_ALLOWED_ORIGIN_REGEXES = [rf"^{SITE_SCHEME}://[a-z0-9-]+\.{re.escape(BASE_DOMAIN)}(:\d+)?$"]
CORS_URLS_REGEX = r"^/api/.*$"

# Uploads and static files ------------------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# A request body larger than this is refused with 413 before it is read (uploads included).
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4096

# Email and SMS -----------------------------------------------------------------------------------------------

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / ".data" / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"RHMS <no-reply@{BASE_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery ---------------------------------------------------------------------------------------------------------

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when the broker is down: the outbox re-queues what was not sent.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TIMEZONE = "UTC"

# Security --------------------------------------------------------------------------------------------------------

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the age above is then an idle timeout
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[f"{SITE_SCHEME}://{BASE_DOMAIN}{':' + SITE_PORT if SITE_PORT else ''}"]
    + [f"{SITE_SCHEME}://*.{BASE_DOMAIN}{':' + SITE_PORT if SITE_PORT else ''}"],
)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Content-Security-Policy (django-csp 4): our own files only, no inline script anywhere. The dashboard's one inline
# <style> (the hospital's brand colour) carries the response's nonce. Swagger UI (/api/docs/) widens style-src and
# img-src for itself (config/urls_public.py); uploaded media answer with their own sandboxing policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Localisation ----------------------------------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Product settings ------------------------------------------------------------------------------------------------

# Superadmin created by `manage.py setup_platform` (createsuperuser --noinput reads the same variables).
DJANGO_SUPERUSER_EMAIL = env("DJANGO_SUPERUSER_EMAIL", default="")
DJANGO_SUPERUSER_PASSWORD = env("DJANGO_SUPERUSER_PASSWORD", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Phone numbers without a country code are read in this region (ISO 3166 code, e.g. "IN"); empty: "+" required.
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="")
# django-phonenumber-field parses in that region and stores and answers E.164.
PHONENUMBER_DEFAULT_REGION = PHONE_DEFAULT_REGION or None
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"

SMS_BACKEND = env("SMS_BACKEND", default="shared_apps.notifications.sms.ConsoleSmsBackend")
NOTIFICATION_REQUEUE_AFTER_SECONDS = env.int("NOTIFICATION_REQUEUE_AFTER_SECONDS", default=120)
# A send is stopped after NOTIFICATION_SEND_TIME_LIMIT_SECONDS (Celery's hard limit; EMAIL_TIMEOUT bounds each SMTP
# step); a row claimed longer ago than NOTIFICATION_CLAIM_TIMEOUT_SECONDS, which must be longer, is sent again.
NOTIFICATION_SEND_TIME_LIMIT_SECONDS = env.int("NOTIFICATION_SEND_TIME_LIMIT_SECONDS", default=120)
NOTIFICATION_CLAIM_TIMEOUT_SECONDS = env.int("NOTIFICATION_CLAIM_TIMEOUT_SECONDS", default=300)
# Webhooks (shared_apps/webhooks) ------------------------------------------------------------------------------------

# Only https URLs whose every address is public, checked at registration and at each delivery. true lifts both rules
# (a plain http://127.0.0.1:<port>/ receiver) for development and tests only: refused with DJANGO_DEBUG off.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
if WEBHOOK_ALLOW_PRIVATE and not DEBUG:
    raise ImproperlyConfigured("WEBHOOK_ALLOW_PRIVATE=true is for development only: it needs DJANGO_DEBUG=true.")
# A whole delivery attempt (connect, TLS, request, answer; at most half the send task's 60 s time limit, a system
# check); the receiver's answer is read up to WEBHOOK_MAX_RESPONSE_BYTES, then dropped.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5)
WEBHOOK_MAX_RESPONSE_BYTES = env.int("WEBHOOK_MAX_RESPONSE_BYTES", default=64 * 1024)
# A delivery is retried (exponential backoff with jitter) for this long; an endpoint failing that long is disabled.
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=24)
WEBHOOK_MAX_ENDPOINTS = env.int("WEBHOOK_MAX_ENDPOINTS", default=10)  # per hospital
# Delivered and given-up deliveries, with their attempts, are kept this long (the dashboard shows them), then pruned.
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)

SILENCED_SYSTEM_CHECKS = [
    "auth.W004",  # email is unique case-insensitively (accounts_user_email_ci_unique)
    "django_ratelimit.W001",  # django-redis increments atomically (INCR), which is all django-ratelimit needs
]
if LOCAL_CACHE_ONLY:
    # One development process: a per-process cache is shared enough for rate limits there.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003"]

# django-ratelimit (HTML forms; the API uses DRF throttles): same client-IP rule as lockout and audit.
RATELIMIT_IP_META_KEY = "shared_apps.audit.context.client_ip_from"
RATELIMIT_VIEW = "shared_apps.common.views.rate_limited"
REGISTRATION_FORM_RATE = env("THROTTLE_REGISTER_FORM", default="10/h")

LOGIN_URL = "dashboard:sign-in"
LOGIN_REDIRECT_URL = "dashboard:overview"

# Pre-cloned hospital schemas kept ready so approval is a constant-time rename (0 disables the pool).
SCHEMA_POOL_SIZE = env.int("SCHEMA_POOL_SIZE", default=3)

# A new hospital's booking horizon (each hospital then sets its own in its policy).
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=90)
# A range of availability asked for at once is capped at this many days.
AVAILABILITY_MAX_RANGE_DAYS = 31

# Public catalogue responses (hospital list, doctor directory) are cached this long at most; every change that
# patients would see invalidates them at once (shared_apps/directory/cache.py). 0 disables the cache.
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", default=300)

# A waitlist offer holds its slot for the patient this many minutes (then it goes to the next in line).
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=15)

# A patient may hold at most this many upcoming booked appointments in one hospital.
MAX_ACTIVE_BOOKINGS_PER_HOSPITAL = env.int("MAX_ACTIVE_BOOKINGS_PER_HOSPITAL", default=5)
# Idempotency-Key answers are replayed for this long.
IDEMPOTENCY_KEY_HOURS = 24

# Where patient messages point ("open the app"); defaults to the platform's home page.
PATIENT_APP_URL = env("PATIENT_APP_URL", default="")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", default="")
# A doctor's free slots and a patient's own list are cached this long at most (both depend on the clock);
# bookings and schedule changes invalidate them at once. 0 disables.
AVAILABILITY_CACHE_SECONDS = env.int("AVAILABILITY_CACHE_SECONDS", default=60)
MY_APPOINTMENTS_CACHE_SECONDS = env.int("MY_APPOINTMENTS_CACHE_SECONDS", default=60)
# A patient's own waitlist entries; never past the first offer on the page lapsing.
WAITLIST_CACHE_SECONDS = env.int("WAITLIST_CACHE_SECONDS", default=60)

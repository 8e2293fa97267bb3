"""Django settings, read from the environment with safe defaults (see vestige.instance)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dj_database_url

from .instance import ENVIRONMENT, data_dir, env, env_bool, secret_key

DATA_DIR: Path = data_dir()
BLOB_ROOT: Path = DATA_DIR / "blobs"
SIGNING_KEY_PATH: Path = DATA_DIR / "keys" / "instance-ed25519.pem"
PROTECTION_KEY_PATH: Path = DATA_DIR / "keys" / "protection.key"
PROTECTION_KEY: str = env("VESTIGE_PROTECTION_KEY") or ""
STATS_MIN_CELL: int = int(env("VESTIGE_STATS_MIN_CELL", "5") or 5)
# Provenance findings: GPS in a file vs the claimed place, allowed distance in km.
GPS_TOLERANCE_KM: float = float(env("VESTIGE_GPS_TOLERANCE_KM", "5") or 5)
if STATS_MIN_CELL < 1:
    raise ValueError("VESTIGE_STATS_MIN_CELL must be 1 or more")
FSYNC_BLOBS: bool = env_bool("VESTIGE_FSYNC", True)
# Dossiers: who submits them, unless the command or form names someone else.
DOSSIER_SUBMITTER: str = env("VESTIGE_DOSSIER_SUBMITTER", "") or ""
DOSSIER_CONTACT: str = env("VESTIGE_DOSSIER_CONTACT", "") or ""
MAX_UPLOAD_BYTES: int = int(env("VESTIGE_MAX_UPLOAD_MB", "2048") or 2048) * 1024 * 1024
# Empty: the incident map draws its points on a plain background, with no tiles at all.
MAP_TILE_URL: str = env("VESTIGE_MAP_TILES", ENVIRONMENT["VESTIGE_MAP_TILES"][0]) or ""
# Web capture (vestige.capture): limits of one capture, parallelism, retries, address guard.
CAPTURE_TIMEOUT: float = float(env("VESTIGE_CAPTURE_TIMEOUT", "90") or 90)
CAPTURE_MAX_BYTES: int = int(env("VESTIGE_CAPTURE_MAX_MB", "500") or 500) * 1024 * 1024
CAPTURE_PARALLEL: int = max(1, int(env("VESTIGE_CAPTURE_PARALLEL", "2") or 2))
CAPTURE_RETRIES: int = max(0, int(env("VESTIGE_CAPTURE_RETRIES", "2") or 0))
CAPTURE_RETRY_DELAY: float = 2.0  # seconds before the first retry; doubles after each
CAPTURE_ALLOW_PRIVATE_ADDRESSES: bool = env_bool("VESTIGE_CAPTURE_ALLOW_PRIVATE_ADDRESSES", False)

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("VESTIGE_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in (env("VESTIGE_ALLOWED_HOSTS", "127.0.0.1,localhost") or "").split(",")
] + ["testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves its Swagger UI from here, not from a CDN
    "django_tasks",
    "django_tasks_db",
    "vestige.web",
    "vestige.cases",
    "vestige.evidence",
    "vestige.search",
    "vestige.capture",
    "vestige.protection",
    "vestige.verification",
    "vestige.corroboration",
    "vestige.sanctions",
    "vestige.law",
    "vestige.dossiers",
    "vestige.watch",
    "vestige.heritage",
    "vestige.agreements",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vestige.web.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "vestige.urls"
WSGI_APPLICATION = "vestige.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vestige.web.context.instance",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'vestige.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(env("DATABASE_URL") or _default_db, conn_max_age=0),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "case-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Leaflet's JS, CSS and images come from the django-leaflet package and are served by the app
# itself under static/leaflet/ (no CDN). The package is not an installed app: its admin module
# needs GeoDjango and GDAL, which Vestige does not use.
_leaflet = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = (
    [str(Path(_leaflet.origin).parent / "static")] if _leaflet and _leaflet.origin else []
)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "uploads")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(exist_ok=True)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("VESTIGE_SECURE", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"vestige": {"level": "INFO"}},
}

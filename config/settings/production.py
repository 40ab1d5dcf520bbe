"""Production: every secret from the environment, HTTPS behind nginx, hashed static files.

`manage.py check --deploy --settings=config.settings.production` passes with no warnings.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.string("SECRET_KEY")
ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Environment variable ALLOWED_HOSTS is required in production.")

# One switch: is the site served over HTTPS (TLS ended by nginx)? Only loopback
# benchmarks turn it off.
_https = env.boolean("SECURE_SSL_REDIRECT", True)
SECURE_SSL_REDIRECT = _https
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", True)
# nginx sets X-Forwarded-Proto; the app never listens on a public interface itself.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
# The vendored CJK fonts (15 MB) are read by the PDF renderer from disk, never downloaded by
# browsers: compressing them took minutes of brotli at every collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    "jpg",
    "jpeg",
    "png",
    "gif",
    "webp",
    "zip",
    "gz",
    "tgz",
    "bz2",
    "tbz",
    "xz",
    "br",
    "swf",
    "flv",
    "woff",
    "woff2",
    "otf",
    "ttf",
    "ttc",
)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST  # noqa: F405
    else "django.core.mail.backends.dummy.EmailBackend"
)
# Sent with X-Accel-Redirect to nginx's internal location for private uploads (R15).
PINGYI_ACCEL_REDIRECT_PREFIX = env.string("PINGYI_ACCEL_REDIRECT_PREFIX", "")

"""`make run`: one machine, SQLite and the filesystem broker unless the env says otherwise."""

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.boolean("DEBUG", False)

# A secret key generated on first run and kept beside the database, so sessions survive
# restarts without anyone having to invent one.
_key_file = VAR_DIR / "secret_key"
if env.string("SECRET_KEY", ""):
    SECRET_KEY = env.string("SECRET_KEY")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(64))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

# Serve static files from the source folders without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

"""Settings for the test suite: production settings with test-only secrets and speed-ups."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="retta-test-media-"))
os.environ.setdefault("ERASURE_LEDGER_ROOT", tempfile.mkdtemp(prefix="retta-test-ledger-"))

from retta_cs.settings import *  # noqa: F403
from retta_cs.settings import STORAGES

# Argon2 stays in production; tests hash with a fast algorithm.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

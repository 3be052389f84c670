"""Settings of the contacts benchmark: production settings plus the bare baseline endpoint."""

from retta_cs.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.contacts_urls"

"""The WSGI application (gunicorn, runserver)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
application = get_wsgi_application()

# Python runs its young-generation collector every 700 new containers by default: every few claims
# of a page or an export, and each run walks every claim of the chunk still being written. Measured
# on an export, that was a tenth of its CPU time; at 50,000 a chunk's objects are gone before the
# collector would walk them (BENCHMARKS.md). Reference cycles are still collected, a little later.
gc.set_threshold(50_000, *gc.get_threshold()[1:])
# Everything loaded at start (with the URL configuration, every view module) lives as long as the
# process: moved out of the collector's sight, a full collection no longer walks it each time.
get_resolver().url_patterns  # noqa: B018 (imported for its side effect)
gc.freeze()

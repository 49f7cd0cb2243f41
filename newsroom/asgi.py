"""The ASGI application, for servers that want one (the project is served by gunicorn over WSGI)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
application = get_asgi_application()

gc.set_threshold(50_000, *gc.get_threshold()[1:])  # as in wsgi.py, and for the same reason

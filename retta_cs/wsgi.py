import os

from django.core.wsgi import get_wsgi_application

from core.request_body import ChunkedBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retta_cs.settings")
# Bodies sent with Transfer-Encoding: chunked are read, within the size limits (core.request_body).
application = ChunkedBodyMiddleware(get_wsgi_application())

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("annotations.api.urls")),
    path("", include("annotations.web.urls")),
]

# Anything a view did not answer: 503 with Retry-After if the database is down, else a 500, in the
# API's error shape under /api/ (annotations/failures.py).
handler500 = "annotations.failures.server_error"

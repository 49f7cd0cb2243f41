"""Every route under /api/: the REST API, the streamed exports, the OpenAPI schema and its docs."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annotations.api.export import ClaimExportView
from annotations.api.views import not_found, router

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^api/v1/export/claims\.(?P<fmt>jsonl|csv)$", ClaimExportView.as_view(), name="api-export"),
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/(?P<rest>[\s\S]*)$", not_found),  # [\s\S]: also paths with a newline in them
]

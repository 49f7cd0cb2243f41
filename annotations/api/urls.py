"""Every route under /api/: the REST API, the streamed exports, the OpenAPI schema and its docs."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annotations.api.export import ClaimExportView
from annotations.api.permissions import MethodBeforeIdentity
from annotations.api.views import not_found, router


class SchemaView(MethodBeforeIdentity, SpectacularAPIView):
    """The OpenAPI schema; a method it lacks is 405 before who asks is checked, as everywhere in the API."""


class DocsView(MethodBeforeIdentity, SpectacularSwaggerView):
    """Swagger UI (templates/drf_spectacular/swagger_ui.html adds the CSP nonce); 405 first, likewise."""


urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^api/v1/export/claims\.(?P<fmt>jsonl|csv)$", ClaimExportView.as_view(), name="api-export"),
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/(?P<rest>[\s\S]*)$", not_found),  # [\s\S]: also paths with a newline in them
]

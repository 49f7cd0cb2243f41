"""Every API route, the OpenAPI schema and docs, and the API-tokens page."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annotations import account_views
from annotations.api import not_found, router
from annotations.api_export import ClaimExportView

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^api/v1/export/claims\.(?P<fmt>jsonl|csv)$", ClaimExportView.as_view(), name="api-export"),
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/(?P<rest>[\s\S]*)$", not_found),  # [\s\S]: also paths with a newline in them
    path("account/tokens/", account_views.api_tokens, name="api_tokens"),
    path("account/tokens/<int:pk>/revoke/", account_views.revoke_api_token, name="revoke_api_token"),
]

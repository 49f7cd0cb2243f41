"""`GET /api/v1/export/claims.jsonl` and `.csv`: every claim matching the list's filters, streamed.

(Apart from `api.py` only for size: the same permission and the same FilterSet as the claim list.)
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponseBase, StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from annotations.api.permissions import MethodBeforeIdentity, RolePermission
from annotations.api.renderers import FirstRenderer
from annotations.filters import ClaimFilter
from annotations.formats import Links
from annotations.formats.export import EXPORTERS
from annotations.models import Claim


class ClaimExportView(MethodBeforeIdentity, APIView):
    """All claims matching the filters, streamed: `claims.jsonl` (one claim per line, as the JSON API
    shows it) or `claims.csv` (cells a spreadsheet would run as a formula start with a quote)."""

    permission_classes = [RolePermission]
    content_negotiation_class = FirstRenderer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ClaimFilter

    def get_queryset(self) -> QuerySet[Claim]:
        return Claim.objects.visible_to(self.request.user)

    @extend_schema(
        filters=True,
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="JSON lines"),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with a header row"),
        },
    )
    def get(self, request: Request, fmt: str) -> HttpResponseBase:
        claims = DjangoFilterBackend().filter_queryset(request, self.get_queryset(), self)
        content_type, exporter = EXPORTERS[fmt]
        response = StreamingHttpResponse(
            exporter(claims, Links(request.build_absolute_uri("/"))), content_type=content_type
        )
        response["Content-Disposition"] = f'attachment; filename="claims.{fmt}"'
        return response

"""One JSON shape for every API error, and the schema class that documents it on every operation.

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"start": ["..."]}}}

`fields` appears only when the problem is in named fields of the request. Errors raised by the services
(Django's ValidationError and PermissionDenied, StaleEdit, BadArticle) are translated here, so the
viewsets never catch them one by one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotations.failures import RETRY_AFTER_SECONDS, UNAVAILABLE, database_down, error_body
from annotations.importing import BadArticle
from annotations.matches import Warming
from annotations.services import StaleEdit

logger = logging.getLogger(__name__)


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = "send If-Match with the ETag of the version you read (W3C Web Annotation Protocol 5.3)"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "the claim changed since you read it: fetch it again and reapply your change"


class Unavailable(exceptions.APIException):
    """The database did not answer (annotations/failures.py): 503 with Retry-After, not a 500."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"
    default_detail = UNAVAILABLE
    wait = RETRY_AFTER_SECONDS


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "the request body is larger than the server accepts"


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, RequestDataTooBig):  # a body without a Content-Length (BodyTooLargeMiddleware)
        return PayloadTooLarge()
    if database_down(exc):
        return Unavailable()
    if isinstance(exc, Warming):  # the matching index is still being built (matches.py)
        return Unavailable(str(exc))
    if isinstance(exc, StaleEdit):
        return PreconditionFailed(str(exc))
    if isinstance(exc, BadArticle):
        return exceptions.ValidationError({"article": [str(exc)]})
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail)
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Anything unexpected still answers in the one shape; the traceback goes to the log.
        logger.exception("unhandled error in %s", context.get("view"), exc_info=exc)
        response = Response(status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        response.data = error_body(500, "server_error", "the server failed; the error has been logged")
        return response
    if not isinstance(exc, exceptions.APIException):  # DRF answers only its own exceptions
        raise TypeError(f"DRF answered a {type(exc).__name__}, not an APIException") from exc
    fields = _fields(exc.detail) if isinstance(exc, exceptions.ValidationError) else None
    code = exc.get_codes()
    code_text = code if isinstance(code, str) else ("invalid" if fields else exc.default_code)
    response.data = error_body(response.status_code, str(code_text), _message(exc.detail, fields), fields)
    return response


def _fields(detail: Any, prefix: str = "") -> dict[str, list[str]] | None:
    """Field errors flattened to dotted names ("target.selector.exact"), each a list of messages."""
    if not isinstance(detail, dict):
        return None
    flat: dict[str, list[str]] = {}
    for key, value in detail.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_fields(value, name + ".") or {})
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            for index, item in enumerate(value):
                flat.update(_fields(item, f"{name}.{index}.") or {})
        else:
            flat[name] = [str(item) for item in (value if isinstance(value, list) else [value])]
    return flat


def _message(detail: Any, fields: dict[str, list[str]] | None) -> str:
    if fields:
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "non_field_errors" else " ".join(messages)
            for name, messages in fields.items()
        )
    if isinstance(detail, list):
        return " ".join(str(item) for item in detail)
    return str(detail)


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "status": serializers.IntegerField(help_text="The HTTP status code again."),
                "code": serializers.CharField(help_text="A stable machine-readable code, e.g. `invalid`."),
                "message": serializers.CharField(help_text="What is wrong, in words."),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    required=False,
                    help_text="Messages per request field (dotted for nested fields).",
                ),
            },
        )
    },
)

# Any request: a bad query or token, not allowed, not found, no acceptable format, a body over the limit
# (413, BodyTooLargeMiddleware), rate-limited or locked out (429), the database down (503).
_ALWAYS = ("400", "401", "403", "404", "406", "413", "429", "503")
_WRITES = ("405", "412", "415", "428")


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, with the error shape documented for every status an operation can give."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        # JSON-LD formats are built from the JSON one, in other shapes (and never paginated as JSON is).
        linked_data = getattr(self.view, "linked_data_schema", None)
        for code, response in responses.items():
            content = response.get("content", {})
            if linked_data and code.startswith("2") and "application/ld+json" in content:
                content["application/ld+json"] = {"schema": linked_data}
        codes = _ALWAYS + (_WRITES if self.method in ("POST", "PATCH", "PUT", "DELETE") else ())
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ErrorSerializer, code, direction=direction
                )
        return responses

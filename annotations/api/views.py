"""The REST API under /api/v1/: viewsets, their permissions, and the router.

Thin by design: objects are looked up through the `visible_to` querysets (404 for what a user may not
see), work is done by `services`, errors are shaped by `api_errors`, and claims are represented by
`formats` from plain rows, so a page of claims costs the same few queries whatever its size.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from annotations import db, matches, services, tasks
from annotations.api.errors import PreconditionFailed, PreconditionRequired
from annotations.api.pagination import KeysetPagination
from annotations.api.permissions import MethodBeforeIdentity, RolePermission
from annotations.api.renderers import (
    ClaimReviewRenderer,
    FormatFirstNegotiation,
    OrjsonRenderer,
    W3CAnnotationRenderer,
)
from annotations.api.serializers import (
    ArticleDetailSerializer,
    ArticleImportSerializer,
    ArticleSerializer,
    ArticleWriteSerializer,
    ClaimCreateSerializer,
    ClaimSerializer,
    ClaimUpdateSerializer,
    MatchesSerializer,
    RevisionSerializer,
    SourceAttachSerializer,
    SourceCreateSerializer,
    SourceSerializer,
    SourceUpdateSerializer,
    SuggestionSerializer,
    TagSerializer,
    UrlImportSerializer,
)
from annotations.db import FIELDS as CLAIM_FIELDS
from annotations.db import Row, attach_related, make_rows
from annotations.filters import ArticleFilter, ClaimFilter, SourceFilter
from annotations.formats import Links, claim_json, etag, written_row
from annotations.importing import ArticleInput
from annotations.models import (
    Article,
    Claim,
    Source,
    Suggestion,
    Tag,
    UrlImport,
    User,
    visibility,
    visibility_sql,
)
from annotations.outbound import FetchRefused
from annotations.roles import Action
from annotations.suggestions.claim_types import CLAIM_TYPES, LABELS
from annotations.text import normalise_url


class ApiViewSet(MethodBeforeIdentity, viewsets.GenericViewSet):  # type: ignore[type-arg]
    permission_classes = [RolePermission]
    lookup_value_regex = "[0-9]+"  # anything else is no such URL (404), not a failed lookup
    write_actions: dict[str, tuple[Action, ...]] = {}

    @property
    def user(self) -> User:
        user = self.request.user
        if not isinstance(user, User):  # RolePermission lets only real users in
            raise TypeError("ApiViewSet.user used on a request RolePermission did not check")
        return user

    @property
    def links(self) -> Links:
        return Links(self.request.build_absolute_uri("/"))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "links": self.links}

    def get_object(self) -> Any:
        try:
            return super().get_object()
        except (ValueError, TypeError):
            raise Http404 from None  # an id PostgreSQL cannot hold is no such object


CLAIM_RENDERERS = [OrjsonRenderer, W3CAnnotationRenderer, ClaimReviewRenderer]
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", "w3c", "claimreview"],
    description="`w3c`: W3C Web Annotation JSON-LD (also `Accept: application/ld+json; "
    'profile="http://www.w3.org/ns/anno.jsonld"`); `claimreview`: schema.org ClaimReview JSON-LD, '
    "claims with a verdict only.",
)
LINKED_DATA = (200, "application/ld+json")
LINKED_DATA_SCHEMA = {
    "type": "object",
    "required": ["@context"],
    "additionalProperties": True,
    "description": "`?format=w3c`: an Annotation, or for a list an AnnotationCollection (first page) or "
    "AnnotationPage (later pages); `?format=claimreview`: a ClaimReview, or for a list an ItemList.",
}
ETAG_HEADER = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description="The claim's ETag, as read."
)
_CLAIM_ETAG = re.compile(r'"claim-(\d+)-v(\d+)"')
# The query parameters of the lists `ClaimViewSet._plain_page` serves without the FilterSet.
PLAIN_LIST_PARAMS = frozenset({"article", "page_size", "cursor", "format"})
MAX_ID = 2**63 - 1


@extend_schema_view(
    list=extend_schema(
        operation_id="claims_list",
        parameters=[FORMAT_PARAMETER],
        # Both keyed by (status, media type): drf-spectacular then sees a list view (filters, pagination).
        responses={(200, "application/json"): ClaimSerializer(many=True), LINKED_DATA: LINKED_DATA_SCHEMA},
    ),
    retrieve=extend_schema(
        parameters=[FORMAT_PARAMETER],
        responses={(200, "application/json"): ClaimSerializer, LINKED_DATA: LINKED_DATA_SCHEMA},
    ),
    create=extend_schema(request=ClaimCreateSerializer, responses={201: ClaimSerializer}),
    partial_update=extend_schema(
        request=ClaimUpdateSerializer, parameters=[ETAG_HEADER], responses={200: ClaimSerializer}
    ),
    destroy=extend_schema(parameters=[ETAG_HEADER], responses={204: None}),
)
class ClaimViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiViewSet,
):
    """Claims: spans of an article's revision with tags, sources, status, verdict and note.

    Every claim response carries an `ETag`; `PATCH` and `DELETE` (and changes to a claim's sources)
    need `If-Match` with it: 428 without, 412 when someone else changed the claim since.
    """

    filter_backends = [DjangoFilterBackend]
    filterset_class = ClaimFilter
    pagination_class = KeysetPagination
    renderer_classes = CLAIM_RENDERERS
    content_negotiation_class = FormatFirstNegotiation
    linked_data_schema = LINKED_DATA_SCHEMA
    serializer_class = ClaimSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    write_actions = {
        "create": (Action.CREATE_CLAIM,),
        "partial_update": (Action.EDIT_CLAIM, Action.SUBMIT_FOR_REVIEW, Action.REVIEW_CLAIM),
        "destroy": (Action.DELETE_CLAIM,),
        "attach_source": (Action.EDIT_CLAIM,),
        "detach_source": (Action.EDIT_CLAIM,),
    }

    def get_renderers(self) -> builtins.list[Any]:
        if self.request is not None and self.request.method not in SAFE_METHODS:
            # A write answers with the claim as changed, which may have no verdict: no ClaimReview.
            return [OrjsonRenderer(), W3CAnnotationRenderer()]
        return super().get_renderers()

    def get_queryset(self) -> QuerySet[Claim]:
        claims = Claim.objects.visible_to(self.request.user)
        if self.wants_claimreview:
            claims = claims.exclude(verdict="")  # only reviewed claims have a ClaimReview
        return claims

    @property
    def wants_claimreview(self) -> bool:
        renderer = getattr(self.request, "accepted_renderer", None)
        return isinstance(renderer, ClaimReviewRenderer)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Accept"])
        return response

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        paginator = self.paginator
        if not isinstance(paginator, KeysetPagination):
            raise TypeError(f"{type(self).__name__}.list needs KeysetPagination, not {paginator!r}")
        rows = self._plain_page(request, paginator)
        if rows is None:
            claims = self.filter_queryset(self.get_queryset())
            page = paginator.paginate_queryset(claims.values_list(*CLAIM_FIELDS, named=True), request, self)
            rows = attach_related(make_rows(page))
        # Rows, not model instances: the same few queries per page, whatever the page size.
        links = self.links
        return paginator.get_paginated_response([claim_json(row, links) for row in rows])

    def _plain_page(self, request: Request, paginator: KeysetPagination) -> builtins.list[Row] | None:
        """The hot lists (all claims, or one article's) without building a FilterSet and a queryset.

        Only for requests with no filter but a plain `article` id; anything else (another filter, or
        an `article` the FilterSet would refuse or read differently) takes the FilterSet's path, which
        stays the one definition of the filters, their validation and their schema.
        """
        params = request.query_params
        if not params.keys() <= PLAIN_LIST_PARAMS:
            return None
        where: builtins.list[str] = []
        values: builtins.list[Any] = []
        if (article := params.get("article")) is not None:
            if not (article.isascii() and article.isdigit() and int(article) <= MAX_ID):
                return None
            where.append("c.article_id = %s")
            values.append(int(article))
        if self.wants_claimreview:
            where.append("c.verdict <> ''")  # only reviewed claims have a ClaimReview
        return paginator.paginate_sql(request, where, values)

    def _respond(self, claim_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        visible, params = visibility_sql(self.request.user)  # as `visible_to`
        verdict = " AND c.verdict <> ''" if self.wants_claimreview else ""
        rows = db.claims_with_related(f"c.id = %s AND {visible}{verdict}", [claim_id, *params])
        if not rows:
            if self.wants_claimreview:
                raise NotFound("this claim has no verdict yet, so it has no ClaimReview")
            raise NotFound()
        return self._claim_response(rows[0], status_code)

    def _claim_response(self, row: Row, status_code: int) -> Response:
        data = claim_json(row, self.links)
        headers = {"ETag": etag(data["id"], data["version"])}
        if status_code == status.HTTP_201_CREATED:
            headers["Location"] = data["url"]
        return Response(data, status=status_code, headers=headers)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._respond(self._claim_id())

    def _claim_id(self) -> int:
        try:
            return int(self.kwargs["pk"])
        except ValueError:
            raise NotFound() from None

    def _claim(self) -> Claim:
        return get_object_or_404(Claim.objects.visible_to(self.request.user), pk=self._claim_id())

    def _expected_version(self, claim: Claim) -> int:
        """The version the client read, from If-Match (W3C Web Annotation Protocol 5.3)."""
        header = self.request.headers.get("If-Match", "").strip()
        if not header:
            raise PreconditionRequired()
        for tag in header.split(","):
            tag = tag.strip()
            if tag == "*":
                return claim.version
            match = _CLAIM_ETAG.fullmatch(tag)
            if match and int(match[1]) == claim.pk:
                return int(match[2])
        raise PreconditionFailed("If-Match does not name a version of this claim")

    def _tags(self, slugs: builtins.list[str], tags: builtins.list[Tag] | None = None) -> builtins.list[Tag]:
        """The tags named by `slugs` (`tags`: those found already); a 400 for a slug that names none."""
        # (`builtins.`: in this class `list` is the list action.)
        tags = db.tags(slugs) if tags is None else tags
        unknown = sorted(set(slugs) - {tag.slug for tag in tags})
        if unknown:
            raise ValidationError({"tags": [f"unknown tag(s): {', '.join(unknown)}"]})
        return tags

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ClaimCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        # One statement for the article (if `visible_to` the user), its current text and the tags named.
        article, tags = db.article_and_tags(
            fields.pop("article"), fields.get("tags", []), visibility_sql(request.user, "a", Article)
        )
        if article is None:
            raise ValidationError({"article": ["no such article"]})
        if "tags" in fields:
            fields["tags"] = self._tags(fields["tags"], tags)
        claim = services.create_claim(article=article, by=self.user, **fields)
        # Built from what was just written (a new claim has no sources yet): no query to read it back.
        row = written_row(claim, article, self.user, fields.get("tags", []))
        return self._claim_response(row, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self._claim()
        serializer = ClaimUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        expected = self._expected_version(claim)
        if "tags" in changes:
            changes["tags"] = self._tags(changes["tags"])
        services.update_claim(claim=claim, by=self.user, expected_version=expected, **changes)
        return self._respond(claim.pk)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self._claim()
        services.delete_claim(claim=claim, by=self.user, expected_version=self._expected_version(claim))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=SourceAttachSerializer, parameters=[ETAG_HEADER], responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"], url_path="sources")
    def attach_source(self, request: Request, pk: str) -> Response:
        """Attach a source to the claim (or change how it relates); answers with the changed claim."""
        claim = self._claim()
        serializer = SourceAttachSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        expected = self._expected_version(claim)
        attachment = {
            "claim": claim,
            "relation": fields["relation"],
            "quote": fields.get("quote", ""),
            "by": self.user,
            "expected_version": expected,
        }
        if "source" in fields:
            source = Source.objects.filter(pk=fields["source"]).first()
            if source is None:
                raise ValidationError({"source": ["no such source"]})
            services.attach_source(source=source, **attachment)
        else:  # found or made in the same transaction: a refused attachment leaves no new source
            services.attach_new_source(
                url=fields["url"],
                title=fields.get("title", ""),
                publisher=fields.get("publisher", ""),
                kind=fields.get("kind", Source.Kind.OTHER),
                **attachment,
            )
        return self._respond(claim.pk)

    @extend_schema(responses={200: MatchesSerializer})
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        renderer_classes=[OrjsonRenderer],
    )
    def matches(self, request: Request, pk: str) -> Response:
        """Has this been checked before? The same claim in other articles (confirmed: in its cluster;
        suggested: a close match with the same figures; related: close, figures differ) and the published
        fact-checks that cover it, each tier best first. Only what the caller may see."""
        claim = self._claim()
        found = matches.find_matches(claim, self.user)
        data = {
            "claim": claim.pk,
            "cluster": claim.cluster_id,
            "article_count": found.article_count,
            "claims": found.claims,
            "fact_checks": found.fact_checks,
        }
        return Response(MatchesSerializer(data, context=self.get_serializer_context()).data)

    @extend_schema(parameters=[ETAG_HEADER], responses={200: ClaimSerializer})
    @action(detail=True, methods=["delete"], url_path=r"sources/(?P<source_id>[0-9]+)")
    def detach_source(self, request: Request, pk: str, source_id: str) -> Response:
        """Detach a source from the claim; answers with the changed claim (and its new ETag)."""
        claim = self._claim()
        source = get_object_or_404(Source, pk=int(source_id), claim_sources__claim=claim)
        services.detach_source(
            claim=claim, source=source, by=self.user, expected_version=self._expected_version(claim)
        )
        return self._respond(claim.pk)


@extend_schema_view(
    create=extend_schema(
        request=ArticleWriteSerializer,
        responses={201: ArticleImportSerializer, 200: ArticleImportSerializer, 202: UrlImportSerializer},
        description="Import an article, as the import command does: the same URL with the same text "
        "changes nothing (200, `unchanged`); with new text it adds a revision and carries every claim "
        "to it (200, `revised`); a new article answers 201 (`created`). A `url` alone (no text, no html) "
        "is fetched and imported in the background: 202 with the import, whose `Location` to poll "
        "(`/imports/{id}/`) says how far it got; a URL the outbound guard refuses (not http(s), a private "
        "or loopback address, localhost) is a 400 at once.",
    ),
)
class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    filter_backends = [DjangoFilterBackend]
    filterset_class = ArticleFilter
    pagination_class = KeysetPagination
    write_actions = {"create": (Action.IMPORT_ARTICLE,)}

    def get_queryset(self) -> QuerySet[Article]:
        articles = Article.objects.visible_to(self.request.user).select_related("current_revision")
        if self.action == "list":
            # The list shows the current revision's number only, not its text.
            return articles.defer("current_revision__text", "current_revision__html")
        # Prefetched once for the revisions list, without their texts (N+1 otherwise).
        return articles.prefetch_related("revisions").defer("revisions__text", "revisions__html")

    def get_serializer_class(self) -> Any:
        return ArticleSerializer if self.action == "list" else ArticleDetailSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request.data
        if isinstance(data, dict) and "url" in data and data.keys() <= {"url"}:
            return self._import_from_url(data["url"])
        article_input = ArticleInput.from_mapping(request.data)  # type: ignore[arg-type]  # it checks
        result = services.import_article(article_input=article_input, by=self.user)
        article = self.get_queryset().get(pk=result.article.pk)
        context = {**self.get_serializer_context(), "outcome": result.outcome}
        code = status.HTTP_201_CREATED if result.outcome == "created" else status.HTTP_200_OK
        data = ArticleImportSerializer(article, context=context).data
        return Response(data, status=code, headers={"Location": data["url"]})

    def _import_from_url(self, url: Any) -> Response:
        """Queue the page's import (202); a URL the guard refuses is never queued (400)."""
        if not isinstance(url, str) or not url.strip():
            raise ValidationError({"url": ["give the URL of the article's page"]})
        if len(url) > Article.URL_MAX_LENGTH:
            raise ValidationError({"url": [f"a URL has at most {Article.URL_MAX_LENGTH} characters"]})
        try:
            url_import = tasks.queue_url_import(url=url.strip(), by=self.user)
        except FetchRefused as refusal:
            raise ValidationError({"url": [refusal.reason]}) from None
        data = UrlImportSerializer(url_import, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})

    @extend_schema(responses={200: RevisionSerializer})
    @action(detail=True, methods=["get"], url_path=r"revisions/(?P<number>[0-9]+)")
    def revision(self, request: Request, pk: str, number: str) -> Response:
        """One revision of the article: the text that claims on it count their offsets in."""
        article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
        revision = get_object_or_404(article.revisions, number=int(number))
        return Response(RevisionSerializer(revision, context=self.get_serializer_context()).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "all",
                bool,
                description="Every stored suggestion: also the accepted, the dismissed and those past the "
                "cap (default: the open ones the article page shows).",
            ),
            OpenApiParameter(
                "claim_type",
                str,
                enum=[value for value, _ in CLAIM_TYPES],
                description="Only suggestions of this kind (`quantity` first: the statistics).",
            ),
        ],
        responses={200: SuggestionSerializer(many=True)},
    )
    # One short list, as the article page shows it: the article list's filters and cursor pages do not
    # apply, and without these the schema promised both (a paginated body) for this plain list.
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def suggestions(self, request: Request, pk: str) -> Response:
        """Check-worthy sentences and figures in the current revision, best first on one score, as many as
        the article page shows (`SUGGESTIONS_PER_1000_WORDS` per thousand words)."""
        article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
        # Empty is no filter, as for the django-filter lists (`?claim_type=` from a cleared form field).
        wanted = request.query_params.get("claim_type") or None
        if wanted is not None and wanted not in LABELS:
            raise ValidationError({"claim_type": [f"one of: {', '.join(LABELS)}"]})
        revision = article.current_revision
        if revision is None:
            return Response([])
        stored = Suggestion.objects.select_related("revision")
        if request.query_params.get("all", "").lower() in {"1", "true", "yes"}:
            found: Iterable[Suggestion] = stored.filter(revision=revision).in_showing_order()
        else:
            found = stored.shown_on(revision)
        if wanted is not None:  # among those shown, so the filter never brings in one past the cap
            found = [s for s in found if s.claim_type == wanted]
        return Response(SuggestionSerializer(found, many=True).data)


class UrlImportViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """Imports from a URL (`POST /articles/` with a `url` alone): poll one for its state and last error.
    Seen by whoever asked for it and by admins (`UrlImport.objects.visible_to`); to others it is a 404."""

    serializer_class = UrlImportSerializer

    def get_queryset(self) -> QuerySet[UrlImport]:
        return UrlImport.objects.visible_to(self.request.user)


class TagViewSet(mixins.ListModelMixin, ApiViewSet):
    """The controlled vocabulary (a few dozen tags, so one unpaginated list)."""

    serializer_class = TagSerializer

    def get_queryset(self) -> QuerySet[Tag]:
        return Tag.objects.filter(visibility(self.request.user))


@extend_schema_view(
    create=extend_schema(
        request=SourceCreateSerializer, responses={201: SourceSerializer, 200: SourceSerializer}
    ),
    partial_update=extend_schema(request=SourceUpdateSerializer, responses={200: SourceSerializer}),
)
class SourceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    serializer_class = SourceSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = SourceFilter
    pagination_class = KeysetPagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_actions = {"create": (Action.EDIT_SOURCE,), "partial_update": (Action.EDIT_SOURCE,)}

    def get_queryset(self) -> QuerySet[Source]:
        return Source.objects.filter(visibility(self.request.user)).select_related("link_check")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = SourceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        try:
            existed = Source.objects.filter(url=normalise_url(fields["url"])).exists()
        except ValueError:
            existed = False  # the service says what is wrong with the URL
        source = services.find_or_create_source(by=self.user, **fields)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        data = SourceSerializer(source, context=self.get_serializer_context()).data
        return Response(data, status=code, headers={"Location": data["url"]})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        source = self.get_object()
        serializer = SourceUpdateSerializer(source, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(SourceSerializer(source, context=self.get_serializer_context()).data)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def not_found(request: Request, rest: str = "") -> Response:
    """Unknown URLs under /api/ answer in the API's error shape too: 404 to anyone, signed in or not
    (the API's routes are documented; there is nothing to hide in which ones exist)."""
    raise NotFound("no such API endpoint")


router = SimpleRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("claims", ClaimViewSet, basename="claim")
router.register("tags", TagViewSet, basename="tag")
router.register("imports", UrlImportViewSet, basename="url-import")
router.register("sources", SourceViewSet, basename="source")

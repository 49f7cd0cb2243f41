"""What the API reads and writes. Read serializers document shapes (claims are built by `formats`);
write serializers check a request's shape and turn it into the keyword arguments of a service.

Write serializers refuse fields they do not know (`StrictFields`), so a client that sends `version`,
`created_by` or a timestamp is told so instead of having it silently dropped.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from annotations.formats import Links
from annotations.models import (
    Article,
    Claim,
    ClaimSource,
    FactCheck,
    LinkCheck,
    Revision,
    Source,
    Suggestion,
    Tag,
    UrlImport,
)


class JsonInteger(serializers.IntegerField):
    """An integer as JSON writes one: `5`, never `"5"` (nor `5.0` or `true`, which DRF also takes as 5 and
    1). A client that quotes an offset has the wrong type for it; saying so beats guessing."""

    default_error_messages = {"invalid": "a whole number is required (a JSON number, not a string)"}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        value: int = super().to_internal_value(data)
        return value


def optional_text(**kwargs: Any) -> serializers.CharField:
    """Text kept exactly as sent (quotes and their context are compared character by character)."""
    return serializers.CharField(trim_whitespace=False, allow_blank=True, required=False, **kwargs)


class StrictFields(serializers.Serializer):  # type: ignore[type-arg]
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["this field cannot be set here"] for name in unknown}
                )
        return super().to_internal_value(data)


class FieldsBuiltOnce(StrictFields):
    """A write serializer whose fields are built once per class rather than once per instance.

    DRF deep-copies a serializer's declared fields for every instance: for the claim create, the API's
    hottest write, that was most of the validation's cost (about 0.3 ms). Fields only validate what
    they are given, so one set can serve every instance, provided they read nothing from the
    serializer they are bound to (`context`, `instance`, `parent`): no `CurrentUserDefault`, no
    `HiddenField`, no related fields. They are bound to a bare instance of the class.
    """

    _fields_built: BindingDict | None = None

    @property
    def fields(self) -> BindingDict:
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            prototype = cls()
            built = BindingDict(prototype)
            for name, field in prototype.get_fields().items():
                built[name] = field
            cls._fields_built = built
        return built


# --- Read shapes ------------------------------------------------------------------------------------------


class ArticleRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="The article in this API.")
    title = serializers.CharField()
    canonical_url = serializers.URLField(allow_null=True, help_text="The article on the web, if known.")


class RevisionRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    number = serializers.IntegerField()
    url = serializers.URLField(help_text="The revision's text, which the offsets refer to.")
    created_at = serializers.DateTimeField()


class SelectorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    start = serializers.IntegerField(help_text="Code-point offset of the first character.")
    end = serializers.IntegerField(help_text="Code-point offset after the last character.")
    exact = serializers.CharField(help_text="The quoted text.")
    prefix = serializers.CharField(allow_blank=True, help_text="Up to 32 characters before the quote.")
    suffix = serializers.CharField(allow_blank=True, help_text="Up to 32 characters after the quote.")


class TagRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    slug = serializers.SlugField()
    name = serializers.CharField()
    facet = serializers.ChoiceField(choices=Tag.Facet.choices)


class LinkCheckSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """The last background check of the source's link: null for a source without a URL."""

    final_url = serializers.SerializerMethodField(help_text="Where the link ended up, after redirects.")

    class Meta:
        model = LinkCheck
        fields = ["state", "status", "final_url", "title", "checked_at", "changed_at", "error"]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "The last HTTP status; null when no answer came (or not checked yet)."},
            "title": {"help_text": "The page's own title, as last seen."},
            "checked_at": {"help_text": "The last check; null until the first."},
            "changed_at": {"help_text": "When its text was first seen changed since the first check."},
            "error": {"help_text": "Why the last check found it broken."},
        }

    def get_final_url(self, link_check: LinkCheck) -> str | None:
        return link_check.final_url or None


class SourceLinkSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="The source in this API.")
    source_url = serializers.URLField(allow_null=True, help_text="The source on the web, if it has one.")
    title = serializers.CharField()
    publisher = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Source.Kind.choices)
    relation = serializers.ChoiceField(choices=ClaimSource.Relation.choices)
    quote = serializers.CharField(allow_blank=True, help_text="The passage of the source that matters.")
    link_check = LinkCheckSerializer(allow_null=True)


# The schema of what `formats.claim_json` builds, which never goes through this class (a docstring
# would show in the schema): tests/formats/test_claim_shape.py holds the two to the same keys.
class ClaimSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    url = serializers.URLField()
    article = ArticleRefSerializer()
    revision = RevisionRefSerializer()
    selector = SelectorSerializer()
    tags = TagRefSerializer(many=True)
    sources = SourceLinkSerializer(many=True)
    status = serializers.ChoiceField(choices=Claim.Status.choices)
    verdict = serializers.ChoiceField(
        choices=[(v, label) for v, label in Claim.Verdict.choices if v], allow_null=True
    )
    note = serializers.CharField(allow_blank=True)
    anchor_state = serializers.ChoiceField(choices=Claim.AnchorState.choices)
    cluster = serializers.IntegerField(
        allow_null=True,
        help_text="The cluster of the same claim in other articles, as editors confirmed it "
        "(`/claims/{id}/matches/`); null when none.",
    )
    created_by = serializers.CharField(allow_null=True, help_text="Username.")
    created_at = serializers.DateTimeField()
    updated_by = serializers.CharField(allow_null=True, help_text="Username.")
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(help_text="Bumped by every change; the ETag is derived from it.")


class TagSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Tag
        fields = ["slug", "name", "facet", "description"]


class SourceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.SerializerMethodField(help_text="The source in this API.")
    source_url = serializers.SerializerMethodField(help_text="The source on the web, if it has one.")
    link_check = LinkCheckSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "url",
            "source_url",
            "title",
            "publisher",
            "kind",
            "published_on",
            "accessed_on",
            "archived_url",
            "created_at",
            "link_check",
        ]

    def get_url(self, source: Source) -> str:
        links: Links = self.context["links"]
        return links.source(source.pk)

    def get_source_url(self, source: Source) -> str | None:
        return source.url or None


class ArticleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.SerializerMethodField(help_text="The article in this API.")
    canonical_url = serializers.SerializerMethodField(help_text="The article on the web, if known.")
    current_revision = serializers.SerializerMethodField(help_text="Number of the current revision.")

    class Meta:
        model = Article
        fields = [
            "id",
            "url",
            "title",
            "canonical_url",
            "outlet",
            "byline",
            "published_at",
            "language",
            "current_revision",
            "created_at",
            "updated_at",
        ]

    def get_url(self, article: Article) -> str:
        links: Links = self.context["links"]
        return links.article(article.pk)

    def get_canonical_url(self, article: Article) -> str | None:
        return article.url or None

    def get_current_revision(self, article: Article) -> int | None:
        revision = article.current_revision
        return revision.number if revision is not None else None


class RevisionRefListSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.SerializerMethodField()

    class Meta:
        model = Revision
        fields = ["number", "url", "content_hash", "created_at"]

    def get_url(self, revision: Revision) -> str:
        links: Links = self.context["links"]
        return links.revision(revision.article_id, revision.number)


class ArticleDetailSerializer(ArticleSerializer):
    text = serializers.SerializerMethodField(help_text="The current revision's plain text.")
    revisions = RevisionRefListSerializer(many=True, read_only=True)

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "text", "revisions"]

    def get_text(self, article: Article) -> str:
        revision = article.current_revision
        return revision.text if revision is not None else ""


class ArticleImportSerializer(ArticleDetailSerializer):
    outcome = serializers.SerializerMethodField(help_text="`created`, `revised` or `unchanged`.")

    class Meta(ArticleDetailSerializer.Meta):
        fields = [*ArticleDetailSerializer.Meta.fields, "outcome"]

    def get_outcome(self, article: Article) -> str:
        return str(self.context["outcome"])


class RevisionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.SerializerMethodField()
    article = serializers.IntegerField(source="article_id")

    class Meta:
        model = Revision
        fields = ["article", "number", "url", "text", "html", "content_hash", "created_at"]

    def get_url(self, revision: Revision) -> str:
        links: Links = self.context["links"]
        return links.revision(revision.article_id, revision.number)


class UrlImportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """An import from a URL and how far it got (`POST /articles/` with a `url` and no text)."""

    url = serializers.SerializerMethodField(help_text="This import in the API: poll it for its state.")
    page_url = serializers.CharField(source="url", help_text="The URL to import, as given.")
    article = serializers.SerializerMethodField(help_text="The article in this API, once imported.")
    article_id = serializers.IntegerField(allow_null=True, help_text="The article's id, once imported.")

    class Meta:
        model = UrlImport
        fields = [
            "id",
            "url",
            "page_url",
            "state",
            "article",
            "article_id",
            "outcome",
            "error",
            "attempts",
            "created_at",
            "updated_at",
        ]

    def get_url(self, url_import: UrlImport) -> str:
        links: Links = self.context["links"]
        return f"{links.api}imports/{url_import.pk}/"

    def get_article(self, url_import: UrlImport) -> str | None:
        links: Links = self.context["links"]
        return links.article(url_import.article_id) if url_import.article_id is not None else None


# --- Write shapes -----------------------------------------------------------------------------------------


class ArticleWriteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Documents the body of `POST /articles/`; the import service itself checks it (`ArticleInput`)."""

    title = serializers.CharField(required=False, help_text="Required unless html has a <title>.")
    url = serializers.URLField(
        required=False,
        help_text="Canonical URL: the same URL again is a revision. A url alone (no text, no html): the page "
        "is fetched and imported in the background, 202 with the import to poll (`/imports/{id}/`).",
    )
    outlet = serializers.CharField(required=False)
    byline = serializers.CharField(required=False)
    published_at = serializers.DateTimeField(required=False)
    language = serializers.CharField(required=False)
    text = serializers.CharField(required=False, help_text="Plain text; or give html.")
    html = serializers.CharField(required=False, help_text="HTML, reduced to text by a real parser.")


class QuoteSelectorSerializer(StrictFields):
    type = serializers.ChoiceField(choices=[("TextQuoteSelector", "TextQuoteSelector")])
    exact = serializers.CharField(trim_whitespace=False)
    prefix = optional_text()
    suffix = optional_text()


class TargetSerializer(StrictFields):
    source = serializers.CharField(required=False, help_text="Ignored: the claim's article is the target.")  # type: ignore[assignment]
    selector = QuoteSelectorSerializer()


class ClaimCreateSerializer(FieldsBuiltOnce):
    """A claim by offsets (`start`, `end`, optionally checked against `exact`) or by quote alone
    (`exact` with `prefix`/`suffix`, or a W3C `target.selector` of type TextQuoteSelector)."""

    article = JsonInteger(min_value=1)
    revision = JsonInteger(
        required=False, min_value=1, help_text="The revision the client read; refused if not current."
    )
    start = JsonInteger(required=False, min_value=0, help_text="Code-point offset: a JSON number.")
    end = JsonInteger(required=False, min_value=1, help_text="Code-point offset: a JSON number.")
    exact = serializers.CharField(required=False, trim_whitespace=False)
    prefix = optional_text()
    suffix = optional_text()
    target = TargetSerializer(required=False)
    note = optional_text()  # its cap, Claim.NOTE_MAX_LENGTH, is the service's (as the form's)
    tags = serializers.ListField(child=serializers.SlugField(), required=False, max_length=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        target = attrs.pop("target", None)
        if target is not None:
            if any(name in attrs for name in ("start", "end", "exact", "prefix", "suffix")):
                raise serializers.ValidationError(
                    {"target": ["give either target or start/end/exact/prefix/suffix, not both"]}
                )
            selector = target["selector"]
            attrs.update(
                exact=selector["exact"], prefix=selector.get("prefix", ""), suffix=selector.get("suffix", "")
            )
        if "revision" in attrs:
            attrs["revision_number"] = attrs.pop("revision")
        return attrs


class ClaimUpdateSerializer(StrictFields):
    note = optional_text()  # its cap, Claim.NOTE_MAX_LENGTH, is the service's (as the form's)
    status = serializers.ChoiceField(choices=Claim.Status.choices, required=False)
    verdict = serializers.ChoiceField(
        choices=[(v, label) for v, label in Claim.Verdict.choices if v],
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="null (or an empty string) removes the verdict.",
    )
    tags = serializers.ListField(
        child=serializers.SlugField(), required=False, max_length=50, help_text="The claim's tags, replaced."
    )

    def validate_verdict(self, value: str | None) -> str:
        return value or ""


class SourceAttachSerializer(StrictFields):
    """An existing source by `source` id, or one found or created by `url` (and `title` if new)."""

    source = JsonInteger(required=False, min_value=1)  # type: ignore[assignment]
    url = serializers.CharField(required=False, max_length=2000)
    title = serializers.CharField(required=False, max_length=500)
    publisher = serializers.CharField(required=False, max_length=200, allow_blank=True)
    kind = serializers.ChoiceField(choices=Source.Kind.choices, required=False)
    relation = serializers.ChoiceField(choices=ClaimSource.Relation.choices)
    quote = optional_text()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("source" in attrs) == ("url" in attrs):
            raise serializers.ValidationError({"source": ["give either a source id or a url, not both"]})
        return attrs


class SourceCreateSerializer(StrictFields):
    url = serializers.CharField(max_length=2000, help_text="Normalised; an existing source is returned.")
    title = serializers.CharField(max_length=500)
    publisher = serializers.CharField(required=False, max_length=200, allow_blank=True)
    kind = serializers.ChoiceField(choices=Source.Kind.choices, required=False)


class SourceUpdateSerializer(StrictFields, serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Source
        fields = ["title", "publisher", "kind", "published_on", "accessed_on", "archived_url"]


class SuggestionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    revision = serializers.IntegerField(source="revision.number", help_text="The revision's number.")
    score = serializers.FloatField(
        help_text="Check-worthiness in [0, 1], figures and sentences on one scale; lists are ordered by it."
    )
    strength = serializers.CharField(help_text="`high`, `medium` or `low`: how strongly the editor sees it.")
    accepted_claim = serializers.IntegerField(
        source="claim_id", allow_null=True, help_text="The claim it was accepted as, if any."
    )
    dismissed = serializers.SerializerMethodField()

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "kind",
            "revision",
            "start",
            "end",
            "text",
            "score",
            "strength",
            "figure_kind",
            "claim_type",
            "accepted_claim",
            "dismissed",
        ]

    def get_dismissed(self, suggestion: Suggestion) -> bool:
        return suggestion.dismissed_at is not None


# --- Matches (issue 13) ------------------------------------------------------------------------------------

TIERS = [
    ("confirmed", "Confirmed by an editor"),
    ("suggested", "Suggested: close enough, with the same figures"),
    ("related", "Related: close, but the figures differ (never the same claim)"),
]


class FactCheckSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = FactCheck
        fields = [
            "id",
            "claim_reviewed",
            "title",
            "rating_value",
            "rating_name",
            "publisher",
            "publisher_url",
            "reviewed_on",
            "url",
            "language",
        ]


class ClaimMatchSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(source="claim.pk")
    url = serializers.SerializerMethodField(help_text="The claim in this API.")
    article = serializers.SerializerMethodField()
    exact = serializers.CharField(source="claim.exact")
    status = serializers.CharField(source="claim.status")
    verdict = serializers.SerializerMethodField()
    tier = serializers.ChoiceField(choices=TIERS)
    score = serializers.FloatField(allow_null=True, help_text="Fused similarity; null if only confirmed.")
    difference = serializers.CharField(help_text="For a related claim: how the figures differ.")

    def get_url(self, match: Any) -> str:
        links: Links = self.context["links"]
        return links.claim(match.claim.pk)

    def get_article(self, match: Any) -> dict[str, Any]:
        links: Links = self.context["links"]
        article = match.claim.article
        return {
            "id": article.pk,
            "url": links.article(article.pk),
            "title": article.title,
            "canonical_url": article.url or None,
        }

    def get_verdict(self, match: Any) -> str | None:
        return match.claim.verdict or None


class FactCheckMatchSerializer(serializers.Serializer):  # type: ignore[type-arg]
    fact_check = FactCheckSerializer()
    tier = serializers.ChoiceField(choices=TIERS)
    score = serializers.FloatField(allow_null=True)
    difference = serializers.CharField()


class MatchesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The same claim in other articles and the fact-checks that cover it, best first in each tier."""

    claim = serializers.IntegerField()
    cluster = serializers.IntegerField(allow_null=True)
    article_count = serializers.IntegerField(help_text="Other articles with the same claim.")
    claims = ClaimMatchSerializer(many=True)
    fact_checks = FactCheckMatchSerializer(many=True)

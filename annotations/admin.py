"""Every model in the Django admin, with search and filters. Revisions are read-only: they are snapshots."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as reset_failed_sign_ins
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from pghistory.admin import EventModelAdmin, EventsAdmin

from annotations import linkchecks
from annotations.models import (
    AnchorRecord,
    ApiToken,
    Article,
    Claim,
    ClaimCluster,
    ClaimFactCheck,
    ClaimSource,
    ClaimTag,
    DismissedMatch,
    FactCheck,
    LinkCheck,
    PageWatch,
    Revision,
    Source,
    Suggestion,
    Tag,
    UrlImport,
    User,
    forget,
)
from annotations.web.paging import BoundedPaginator


class LargeTableAdmin[M: Any](admin.ModelAdmin[M]):
    """A changelist that costs the same at a million rows: counts stop at 1,000 (web/paging.py) and the
    "show all" total, a second full count, is never asked for."""

    paginator = BoundedPaginator
    show_full_result_count = False


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ("username", "email", "role", "is_active", "is_staff", "is_superuser")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Newsroom", {"fields": ("role",)}))
    actions = ["unlock_sign_in"]

    @admin.action(description="Unlock sign-in (forget failed attempts)")
    def unlock_sign_in(self, request: HttpRequest, queryset: Any) -> None:
        """Lifts a django-axes lockout of these accounts at once, instead of after the cool-off. An address
        locked out is unlocked under Axes > Access attempts (delete its rows)."""
        forgotten = sum(reset_failed_sign_ins(username=user.get_username()) for user in queryset)
        self.message_user(
            request,
            f"Unlocked {queryset.count()} account(s); {forgotten} failed-attempt record(s) forgotten.",
            messages.SUCCESS,
        )

    # A user deactivated, given another role or deleted here: the API forgets their tokens at once.
    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            forget(user=obj)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        forget(user=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            forget(user=user)
        super().delete_queryset(request, queryset)


class RevisionInline(admin.TabularInline[Revision, Article]):
    model = Revision
    fields = ("number", "content_hash", "created_at", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(LargeTableAdmin[Article]):
    list_display = ("title", "outlet", "published_at", "url", "updated_at")
    list_filter = ("outlet", "language", "published_at")
    search_fields = ("title", "url", "outlet", "byline")
    readonly_fields = ("current_revision", "created_at", "updated_at")
    inlines = [RevisionInline]
    date_hierarchy = "published_at"
    ordering = ("-published_at", "-id")  # the article list's index (models.Article.Meta)


@admin.register(Revision)
class RevisionAdmin(LargeTableAdmin[Revision]):
    list_display = ("article", "number", "content_hash", "created_at")
    search_fields = ("article__title", "content_hash", "text")
    list_filter = ("created_at",)
    list_select_related = ("article",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # immutable; the database refuses updates too

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # revisions come from imports, which carry the claims


class ClaimTagInline(admin.TabularInline[ClaimTag, Claim]):
    model = ClaimTag
    extra = 0
    autocomplete_fields = ("tag",)
    readonly_fields = ("added_by", "added_at")


class ClaimSourceInline(admin.TabularInline[ClaimSource, Claim]):
    model = ClaimSource
    extra = 0
    autocomplete_fields = ("source",)
    readonly_fields = ("added_by", "added_at")


@admin.register(Claim)
class ClaimAdmin(LargeTableAdmin[Claim]):
    list_display = ("__str__", "article", "status", "verdict", "anchor_state", "updated_at", "updated_by")
    list_filter = ("status", "verdict", "anchor_state", "tags", "created_at")
    search_fields = ("exact", "note", "article__title")
    list_select_related = ("article", "updated_by")
    ordering = (
        "-updated_at",
        "-id",
    )  # an index's order: the default (article, start, end) sorted every claim
    readonly_fields = ("article", *Claim.ANCHOR_FIELDS, *Claim.CHANGE_FIELDS, "created_by", "created_at")
    inlines = [ClaimTagInline, ClaimSourceInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # claims are made by selecting text, where offsets are checked

    def save_model(self, request: HttpRequest, obj: Claim, form: Any, change: bool) -> None:
        # An edit here is an edit like any other: clients holding the old version must see it as stale.
        obj.mark_changed(request.user if isinstance(request.user, User) else None)
        super().save_model(request, obj, form, change)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ("name", "facet", "slug", "position")
    list_filter = ("facet",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Source)
class SourceAdmin(LargeTableAdmin[Source]):
    list_display = ("title", "publisher", "kind", "url", "published_on")
    list_filter = ("kind", "publisher")
    search_fields = ("title", "url", "publisher")

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change or "url" in form.changed_data:
            linkchecks.start_over(obj)


@admin.register(ClaimSource)
class ClaimSourceAdmin(LargeTableAdmin[ClaimSource]):
    list_display = ("claim", "source", "relation", "added_by", "added_at")
    list_filter = ("relation",)
    search_fields = ("claim__exact", "source__title", "quote")
    list_select_related = ("claim", "source", "added_by")


@admin.register(AnchorRecord)
class AnchorRecordAdmin(LargeTableAdmin[AnchorRecord]):
    list_display = ("claim", "state", "from_revision", "to_revision", "created_at")
    list_filter = ("state", "created_at")
    search_fields = ("old_exact", "new_exact")
    list_select_related = ("claim", "from_revision__article", "to_revision__article")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are issued by their owners (or `create_api_token`); here an admin can see and revoke them."""

    list_display = ("name", "user", "hint", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "user__username", "hint")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "key_hash", "hint", "created_at", "expires_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a token made here could never be shown to anyone

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        forget(obj.key_hash)  # the API stops accepting it at once, as when revoked
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        forget(*queryset.values_list("key_hash", flat=True))
        super().delete_queryset(request, queryset)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset:
            token.revoke()


@admin.register(Suggestion)
class SuggestionAdmin(LargeTableAdmin[Suggestion]):
    list_display = ("__str__", "kind", "score", "article", "revision_number", "claim", "dismissed_at")
    list_filter = ("kind", "figure_kind", "dismissed_at")
    search_fields = ("text", "article__title")
    list_select_related = ("article", "revision", "claim")
    ordering = (
        "-pk",
    )  # the primary key's order: a page is its first rows, where (revision, start) sorted all

    def get_queryset(self, request: HttpRequest) -> Any:
        # A hundred rows must not carry a hundred revisions' texts.
        return super().get_queryset(request).defer("revision__text", "revision__html")

    @admin.display(description="Revision", ordering="revision__number")
    def revision_number(self, suggestion: Suggestion) -> int:
        return suggestion.revision.number

    readonly_fields = ("article", "revision", "kind", "start", "end", "text", "score", "figure_kind", "claim")


@admin.register(UrlImport)
class UrlImportAdmin(LargeTableAdmin[UrlImport]):
    """Imports from a URL and their last error; the queue's own jobs are under Procrastinate."""

    list_display = ("url", "state", "outcome", "attempts", "requested_by", "article", "updated_at")
    list_filter = ("state", "outcome")
    search_fields = ("url", "error")
    list_select_related = ("requested_by", "article")
    ordering = ("-pk",)
    readonly_fields = ("url", "requested_by", "state", "article", "outcome", "error", "attempts")


@admin.register(PageWatch)
class PageWatchAdmin(LargeTableAdmin[PageWatch]):
    """Articles fetched again on a schedule (monitoring.py) and the last error of their checks; the
    interval and the next check may be changed (set the next check to now: checked at the next pass)."""

    list_display = ("url", "article", "next_check_at", "interval", "last_checked_at", "failures")
    search_fields = ("url", "last_error")
    list_select_related = ("article",)
    ordering = ("next_check_at",)
    readonly_fields = (
        "article",
        "last_checked_at",
        "last_changed_at",
        "last_revision",
        "failures",
        "last_error",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an import from a URL makes one


class EventKindFilter(admin.SimpleListFilter):
    """The kinds of event the trackers write, listed without asking the table (its DISTINCT would read
    every event)."""

    title = "event"
    parameter_name = "pgh_label"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("insert", "Created"), ("update", "Changed"), ("delete", "Deleted")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(pgh_label=self.value()) if self.value() else queryset


class HistoryEventAdmin(LargeTableAdmin[Any], EventModelAdmin):
    """One history table (a claim's, its tags', its sources'), newest first by its primary key."""

    list_display = ("pgh_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_context_id")
    ordering = ("-pgh_id",)
    list_filter = [EventKindFilter]

    @property
    def search_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        # A claim's events, by its id: the indexed key (a claim's own events by the claim, a link's by its
        # claim), where a search through the copied text would read every event.
        names = {field.name for field in self.model._meta.fields}
        return ("=claim__id",) if "claim" in names else ("=pgh_obj__id",)


for _event_model in ("ClaimEvent", "ClaimTagEvent", "ClaimSourceEvent"):
    admin.site.register(apps.get_model("annotations", _event_model), HistoryEventAdmin)


class AllEventsAdmin(EventsAdmin):
    """pghistory's page of every event (settings.PGHISTORY_ADMIN_CLASS), without the total it would count
    over the union of every history table (0.65 s at a million claims, on each visit)."""

    paginator = BoundedPaginator
    show_full_result_count = False


@admin.register(LinkCheck)
class LinkCheckAdmin(LargeTableAdmin[LinkCheck]):
    """What the background checks found; only when the next check is due may be changed (to now: check
    it again at the scheduler's next pass)."""

    list_display = ("state", "status", "source", "checked_at", "next_check_at")
    list_filter = ("state",)
    search_fields = ("source__title", "source__url", "final_url", "error")
    list_select_related = ("source",)
    ordering = ("-pk",)
    readonly_fields = (
        "source",
        "state",
        "status",
        "final_url",
        "title",
        "content_hash",
        "first_hash",
        "error",
        "checked_at",
        "changed_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # every source with a URL gets one (`linkchecks.ensure_link_check`)


@admin.register(FactCheck)
class FactCheckAdmin(LargeTableAdmin[FactCheck]):
    """Published fact-checks, as imported (`import_factchecks`): searchable, correctable."""

    list_display = ("claim_reviewed", "rating_name", "publisher", "reviewed_on", "origin")
    list_filter = ("origin", "reviewed_on")
    search_fields = ("claim_reviewed", "title", "publisher", "url", "external_id")
    date_hierarchy = "reviewed_on"


class ConfirmationAdmin[M: Any](LargeTableAdmin[M]):
    """An editor's word about two things (issue 13): looked at and, if wrong, deleted here; made only in
    the claim panel, where the figure guard and the claim's version are checked (`services.py`)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ClaimCluster)
class ClaimClusterAdmin(ConfirmationAdmin[ClaimCluster]):
    list_display = ("pk", "created_by", "created_at")
    search_fields = ("claims__exact",)
    list_filter = ("created_at",)


@admin.register(ClaimFactCheck)
class ClaimFactCheckAdmin(ConfirmationAdmin[ClaimFactCheck]):
    list_display = ("claim", "fact_check", "confirmed_by", "confirmed_at")
    search_fields = ("claim__exact", "fact_check__claim_reviewed", "fact_check__publisher")
    list_filter = ("confirmed_at",)
    list_select_related = ("claim", "fact_check", "confirmed_by")


@admin.register(DismissedMatch)
class DismissedMatchAdmin(ConfirmationAdmin[DismissedMatch]):
    list_display = ("claim", "other_claim", "fact_check", "dismissed_by", "dismissed_at")
    search_fields = ("claim__exact", "other_claim__exact", "fact_check__claim_reviewed")
    list_filter = ("dismissed_at",)
    list_select_related = ("claim", "other_claim", "fact_check", "dismissed_by")

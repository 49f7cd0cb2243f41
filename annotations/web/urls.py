"""Every HTML page and htmx fragment: articles and their revisions, claims, suggestions, API tokens, and
the account pages (sign in and out, change or reset a password)."""

from typing import Any

from django.contrib.auth import views as auth
from django.urls import path
from django.views.decorators.http import require_http_methods

from annotations.web import articles, claims, matches, revisions, tokens


def form_page(view: Any, methods: tuple[str, ...] = ("GET", "HEAD", "POST")) -> Any:
    """One of Django's account views, answering 405 to any other method, before anything else: their form
    views also take PUT (as POST), and the signed-in-only ones sent any method to the sign-in page."""
    return require_http_methods(list(methods))(view.as_view())


# Django's views with our templates (templates/registration/); django-axes counts failed sign-ins.
accounts = [
    path("accounts/login/", form_page(auth.LoginView), name="login"),
    path("accounts/logout/", auth.LogoutView.as_view(), name="logout"),  # POST only, by Django
    path("accounts/password_change/", form_page(auth.PasswordChangeView), name="password_change"),
    path(
        "accounts/password_change/done/",
        form_page(auth.PasswordChangeDoneView, ("GET", "HEAD")),
        name="password_change_done",
    ),
    path("accounts/password_reset/", form_page(auth.PasswordResetView), name="password_reset"),
    path("accounts/password_reset/done/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        form_page(auth.PasswordResetConfirmView),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

urlpatterns = [
    *accounts,
    path("healthz", articles.healthz, name="healthz"),
    path("", articles.article_list, name="article_list"),
    path("articles/new/", articles.article_new, name="article_new"),
    path("imports/<int:pk>/", articles.url_import_detail, name="url_import_detail"),
    path("articles/<int:pk>/", articles.article_detail, name="article_detail"),
    path("articles/<int:article_pk>/claims/", claims.claim_create, name="claim_create"),
    path("articles/<int:pk>/revisions/", revisions.revision_list, name="revision_list"),
    path("articles/<int:pk>/revisions/compare/", revisions.revision_compare, name="revision_compare"),
    path("articles/<int:pk>/revisions/fetch/", revisions.revision_fetch, name="revision_fetch"),
    path(
        "articles/<int:pk>/revisions/<int:number>/",
        revisions.revision_detail,
        name="revision_detail",
    ),
    path(
        "articles/<int:article_pk>/suggestions/toggle/",
        claims.suggestions_toggle,
        name="suggestions_toggle",
    ),
    path("claims/", articles.claim_list, name="claim_list"),
    path("claims/<int:pk>/", claims.claim_panel, name="claim_panel"),
    path("claims/<int:pk>/edit/", claims.claim_update, name="claim_update"),
    path("claims/<int:pk>/tags/toggle/", claims.claim_toggle_tag, name="claim_toggle_tag"),
    path("claims/<int:pk>/sources/", claims.claim_attach_source, name="claim_attach_source"),
    path(
        "claims/<int:pk>/sources/<int:source_pk>/remove/",
        claims.claim_detach_source,
        name="claim_detach_source",
    ),
    path("claims/<int:pk>/delete/", claims.claim_delete, name="claim_delete"),
    path("claims/<int:pk>/reattach/", claims.claim_reattach, name="claim_reattach"),
    path("claims/<int:pk>/dismiss/", claims.claim_dismiss, name="claim_dismiss"),
    path("claims/<int:pk>/history/", claims.claim_history, name="claim_history"),
    path("claims/<int:pk>/matches/", matches.claim_matches, name="claim_matches"),
    path("claims/<int:pk>/matches/confirm/", matches.claim_match_confirm, name="claim_match_confirm"),
    path("claims/<int:pk>/matches/dismiss/", matches.claim_match_dismiss, name="claim_match_dismiss"),
    path("claims/<int:pk>/matches/verdict/", matches.claim_adopt_verdict, name="claim_adopt_verdict"),
    path(
        "claims/<int:pk>/fact-checks/remove/", matches.claim_fact_check_remove, name="claim_fact_check_remove"
    ),
    path("claims/<int:pk>/cluster/leave/", matches.claim_cluster_leave, name="claim_cluster_leave"),
    path("claims/<int:pk>/cluster/sources/", matches.claim_cluster_sources, name="claim_cluster_sources"),
    path("suggestions/<int:pk>/accept/", claims.suggestion_accept, name="suggestion_accept"),
    path("suggestions/<int:pk>/dismiss/", claims.suggestion_dismiss, name="suggestion_dismiss"),
    path("suggestions/<int:pk>/matches/", matches.suggestion_matches, name="suggestion_matches"),
    path("sources/search/", articles.source_search, name="source_search"),
    path("account/tokens/", tokens.api_tokens, name="api_tokens"),
    path("account/tokens/<int:pk>/revoke/", tokens.revoke_api_token, name="revoke_api_token"),
]

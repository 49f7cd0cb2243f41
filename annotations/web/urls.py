"""Every HTML page and htmx fragment: articles and their revisions, claims, suggestions and API tokens."""

from django.urls import path

from annotations.web import articles, claims, revisions, tokens

urlpatterns = [
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
    path("suggestions/<int:pk>/accept/", claims.suggestion_accept, name="suggestion_accept"),
    path("suggestions/<int:pk>/dismiss/", claims.suggestion_dismiss, name="suggestion_dismiss"),
    path("sources/search/", articles.source_search, name="source_search"),
    path("account/tokens/", tokens.api_tokens, name="api_tokens"),
    path("account/tokens/<int:pk>/revoke/", tokens.revoke_api_token, name="revoke_api_token"),
]

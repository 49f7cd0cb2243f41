from django.urls import path

from annotations import claim_views, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", views.article_list, name="article_list"),
    path("articles/new/", views.article_new, name="article_new"),
    path("articles/<int:pk>/", views.article_detail, name="article_detail"),
    path("articles/<int:article_pk>/claims/", claim_views.claim_create, name="claim_create"),
    path("claims/", views.claim_list, name="claim_list"),
    path("claims/<int:pk>/", claim_views.claim_panel, name="claim_panel"),
    path("claims/<int:pk>/edit/", claim_views.claim_update, name="claim_update"),
    path("claims/<int:pk>/tags/toggle/", claim_views.claim_toggle_tag, name="claim_toggle_tag"),
    path("claims/<int:pk>/sources/", claim_views.claim_attach_source, name="claim_attach_source"),
    path(
        "claims/<int:pk>/sources/<int:source_pk>/remove/",
        claim_views.claim_detach_source,
        name="claim_detach_source",
    ),
    path("claims/<int:pk>/delete/", claim_views.claim_delete, name="claim_delete"),
    path("claims/<int:pk>/reattach/", claim_views.claim_reattach, name="claim_reattach"),
    path("claims/<int:pk>/dismiss/", claim_views.claim_dismiss, name="claim_dismiss"),
    path("claims/<int:pk>/history/", claim_views.claim_history, name="claim_history"),
    path(
        "articles/<int:article_pk>/suggestions/toggle/",
        claim_views.suggestions_toggle,
        name="suggestions_toggle",
    ),
    path("suggestions/<int:pk>/accept/", claim_views.suggestion_accept, name="suggestion_accept"),
    path("suggestions/<int:pk>/dismiss/", claim_views.suggestion_dismiss, name="suggestion_dismiss"),
    path("sources/search/", views.source_search, name="source_search"),
]

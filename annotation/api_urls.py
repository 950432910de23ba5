from django.urls import path

from annotation import apis, pair_apis

app_name = "annotation-api"

urlpatterns = [
    path("me/stats/", apis.MyStatsApi.as_view(), name="stats"),
    path("studies/<str:study_id>/next/", apis.StudyNextApi.as_view(), name="next"),
    path("items/<str:item_id>/", apis.ItemApi.as_view(), name="item"),
    path("items/<str:item_id>/draft/", apis.ItemDraftApi.as_view(), name="draft"),
    path("items/<str:item_id>/submit/", apis.ItemSubmitApi.as_view(), name="submit"),
    path("items/<str:item_id>/vote/", pair_apis.ItemVoteApi.as_view(), name="vote"),
    path(
        "items/<str:item_id>/vote-draft/",
        pair_apis.ItemVoteDraftApi.as_view(),
        name="vote-draft",
    ),
    path("items/<str:item_id>/skip/", apis.ItemSkipApi.as_view(), name="skip"),
    path("items/<str:item_id>/revise/", apis.ItemReviseApi.as_view(), name="revise"),
    path("studies/<str:study_id>/ratings/", apis.MyRatingsApi.as_view(), name="ratings"),
]

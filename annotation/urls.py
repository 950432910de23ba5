from django.urls import path

from annotation import pair_views, views

app_name = "annotation"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("studies/<str:study_id>/next/", views.study_next, name="next"),
    path("studies/<str:study_id>/instructions/", views.study_instructions, name="instructions"),
    path("studies/<str:study_id>/ratings/", views.study_ratings, name="ratings"),
    path("items/<str:item_id>/", views.item, name="item"),
    path("items/<str:item_id>/revise/", views.item_revise, name="revise"),
    path("items/<str:item_id>/vote/", pair_views.item_vote, name="vote"),
    path("items/<str:item_id>/skip/", views.item_skip, name="skip"),
]

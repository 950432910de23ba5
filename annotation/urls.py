from django.urls import path

from annotation import views

app_name = "annotation"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("studies/<str:study_id>/next/", views.study_next, name="next"),
    path("items/<str:item_id>/", views.item, name="item"),
    path("items/<str:item_id>/skip/", views.item_skip, name="skip"),
]

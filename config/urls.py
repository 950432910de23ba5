from django.contrib import admin
from django.urls import path
from django.views.generic import TemplateView

admin.site.site_header = "SoulEval administration"
admin.site.site_title = "SoulEval"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
]

"""URLs of the public host (the base domain): the landing page and the operators' admin."""

from django.contrib import admin
from django.urls import path

from psops.tenancy import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("admin/", admin.site.urls),
]

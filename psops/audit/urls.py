from django.urls import path

from psops.audit import views

app_name = "audit"

urlpatterns = [
    path("settings/audit/", views.audit_list, name="audit_list"),
    path("settings/audit/export.csv", views.audit_export, name="audit_export"),
]

from django.urls import path

from health.kpis import views as kpis

app_name = "kpis"

urlpatterns = [
    path("kpis/<slug:key>/evidence/", kpis.kpi_evidence, name="kpi_evidence"),
    path("settings/kpis/", kpis.kpi_targets, name="kpi_targets"),
]

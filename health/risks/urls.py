from django.urls import path

from health.risks import views as risks

app_name = "risks"

urlpatterns = [
    path("risks/", risks.risk_list_page, name="risk_list"),
    path("risks/<int:risk_id>/acknowledge/", risks.risk_acknowledge_view, name="risk_acknowledge"),
]

from django.urls import path

from psops.outbox import views

app_name = "outbox"

urlpatterns = [
    path("settings/email/", views.outbox_list, name="outbox_list"),
    path("settings/email/<int:email_id>/retry/", views.outbox_retry, name="outbox_retry"),
]

"""The anonymous pulse: this week's form, and results for leaders and admins."""

from django.urls import path

from health.pulse import views as pulse

app_name = "pulse"

urlpatterns = [
    path("pulse/", pulse.pulse, name="pulse"),
    path("pulse/results/", pulse.pulse_results, name="results"),
]

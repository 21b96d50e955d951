"""Everyone's home page: the PS dashboard, a consultant's day or sales' handoffs."""

from django.urls import path

from health.home import views

urlpatterns = [
    path("", views.home, name="home"),
    path("home/quick-log/", views.home_quick_log, name="home_quick_log"),
]

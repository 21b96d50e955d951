from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "psops.submissions"
    label = "submissions"
    verbose_name = "Form submissions"

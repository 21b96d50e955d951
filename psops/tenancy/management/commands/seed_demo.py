from django.core.management.base import BaseCommand

from psops import demo


class Command(BaseCommand):
    help = "Create the demo organizations (acme, globex) and their people; safe to run again."

    def handle(self, *args, **options):
        organizations = demo.seed(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {', '.join(o.slug for o in organizations)}.")
        )

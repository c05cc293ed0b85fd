from django.core.management.base import BaseCommand

from tenant_apps.doctors.directory_sync import directory_rebuild


class Command(BaseCommand):
    help = "Rebuild the public doctor directory from every hospital's schema and report the drift it repaired."

    def handle(self, *args, **options):
        drift = directory_rebuild()
        self.stdout.write(
            f"{drift.hospitals} hospitals checked; repaired {drift.repaired}: {len(drift.missing)} missing, "
            f"{len(drift.stale)} stale, {len(drift.orphaned)} orphaned, {len(drift.facts)} with stale free-slot facts."
        )
        for label, ids in (
            ("missing", drift.missing),
            ("stale", drift.stale),
            ("orphaned", drift.orphaned),
            ("facts", drift.facts),
        ):
            for doctor_id in ids:
                self.stdout.write(f"  {label}: {doctor_id}")

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import connection

from shared_apps.directory.models import DoctorEntry

# `?ordering=` of the directory: each ends on the primary key, so pages never repeat or skip a doctor.
DIRECTORY_ORDERINGS = {
    "next_available": "e.next_available_at ASC NULLS LAST, e.doctor_id",
    "name": "e.name, e.doctor_id",
    "fee": "e.fee, e.doctor_id",
    "-fee": "e.fee DESC, e.doctor_id DESC",  # the fee index read backwards
}
# A name search without `?ordering=`: case-insensitive order. It also keeps the planner off the name-ordered index
# walk, which it favours for LIMIT 20 but which must read every row anyway for the count; the trigram indexes win.
SEARCH_ORDERING = "LOWER(e.name), e.doctor_id"

# What a directory row shows (tenant_apps.doctors.apis.directory_row), and nothing of the hospital's policy,
# address or contact.
_PAGE_SQL = """SELECT e.doctor_id, e.hospital_id, e.name, e.specialization, e.fee, e.slot_minutes, e.status,
       e.next_available_date, e.next_available_time, e.next_available_at,
       h.name AS hospital_name, h.city AS hospital_city, h.logo AS hospital_logo, h.timezone AS hospital_timezone,
       (SELECT COUNT(*) FROM directory_doctorentry c WHERE {counted}) AS total
FROM directory_doctorentry e JOIN hospitals_hospital h ON h.id = e.hospital_id
WHERE {listed}
ORDER BY {ordering}
LIMIT %s OFFSET %s"""


_HAS_FREE_SLOT_ON = "EXISTS (SELECT 1 FROM directory_doctorday d WHERE d.doctor_id = {alias}.doctor_id AND d.date = %s)"


@dataclass(frozen=True)
class DirectoryFilters:
    """`GET /api/doctors/`'s filters; `ordering` is a key of DIRECTORY_ORDERINGS ("" for the default)."""

    hospital_id: int | None = None
    doctor_id: uuid.UUID | None = None
    specialization: str = ""
    city: str = ""
    q: str = ""
    name_pattern: str = ""  # a regular expression on UPPER(name) (the FHIR facade's Practitioner?name=)
    available_on: dt.date | None = None
    ordering: str = ""

    def where(self, alias: str) -> tuple[str, list]:
        """The condition on the entry `alias`, and its parameters. Every part is on the entry and its free-slot
        facts alone, each served by an index: `listed` (partial indexes), UPPER(specialization), UPPER(city), the
        trigram indexes on UPPER(name) and UPPER(specialization), DoctorDay's (date, doctor) index."""
        clauses, params = [f"{alias}.listed"], []
        if self.available_on is not None:
            clauses.append(_HAS_FREE_SLOT_ON.format(alias=alias))
            params.append(self.available_on)
        if self.hospital_id is not None:
            clauses.append(f"{alias}.hospital_id = %s")
            params.append(self.hospital_id)
        if self.doctor_id is not None:
            clauses.append(f"{alias}.doctor_id = %s")
            params.append(self.doctor_id)
        if self.specialization:
            clauses.append(f"UPPER({alias}.specialization) = %s")
            params.append(self.specialization.upper())
        if self.city:
            clauses.append(f"UPPER({alias}.city) = %s")
            params.append(self.city.upper())
        if self.name_pattern:
            clauses.append(f"UPPER({alias}.name::text) ~ %s")
            params.append(self.name_pattern)
        if self.q:
            clauses.append(
                f"(UPPER({alias}.name::text) LIKE UPPER(%s) OR UPPER({alias}.specialization::text) LIKE UPPER(%s))"
            )
            params += [_containing(self.q)] * 2
        return " AND ".join(clauses), params

    def order_by(self) -> str:
        if self.q and not self.ordering:
            return SEARCH_ORDERING
        return DIRECTORY_ORDERINGS[self.ordering or "name"]


def _containing(text: str) -> str:
    return f"%{connection.ops.prep_for_like_query(text)}%"


def directory_page_sql(filters: DirectoryFilters, *, offset: int, limit: int) -> tuple[str, list]:
    """The one query of a directory page: its rows, each with the total the filters match (`total`).

    Hand-written, not the ORM: at 20,000 doctors building and compiling the queryset (its filters twice, for the
    page and its count) and making model instances cost more than PostgreSQL's answer (docs/benchmarks.md, search).
    The total is an uncorrelated scalar subquery run once beside the page, which keeps its index-ordered LIMIT
    (shared_apps.common.pagination explains why not a window).
    """
    counted, counted_params = filters.where("c")
    listed, listed_params = filters.where("e")
    sql = _PAGE_SQL.format(counted=counted, listed=listed, ordering=filters.order_by())
    return sql, [*counted_params, *listed_params, limit, offset]


def directory_page(filters: DirectoryFilters, offset: int, limit: int) -> tuple[list[dict], int]:
    """Active doctors of approved, active hospitals, with their hospitals' names, cities, logos and zones, in one
    query: the rows of one page (dicts named as in `_PAGE_SQL`) and how many match in all."""
    sql, params = directory_page_sql(filters, offset=offset, limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    return rows, rows[0]["total"] if rows else 0


def doctor_entry_get(*, doctor_id) -> DoctorEntry | None:
    """The directory row of a doctor in any state (None if unknown); callers decide what the user may see."""
    return DoctorEntry.objects.select_related("hospital").filter(doctor_id=doctor_id).first()


def doctor_entry_get_public(*, doctor_id) -> DoctorEntry | None:
    return DoctorEntry.objects.filter(listed=True, doctor_id=doctor_id).select_related("hospital").first()


def doctors_next_available(*, doctor_ids) -> dict:
    """{doctor_id: (local date, local time)} of the first free slot of each of these doctors that has one."""
    rows = DoctorEntry.objects.filter(doctor_id__in=doctor_ids, next_available_at__isnull=False)
    return {
        doctor_id: (date, time)
        for doctor_id, date, time in rows.values_list("doctor_id", "next_available_date", "next_available_time")
    }

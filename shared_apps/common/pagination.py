from django.db.models import Count, QuerySet, Window
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.utils.urls import remove_query_param, replace_query_param


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (capped at 100); an out-of-range page is a 404 in the error shape."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


MAX_PAGE = 1_000_000


def paginate_in_one_query(request, queryset: QuerySet, row) -> dict:
    """PageNumberPagination's body, with the total counted by the page query itself (COUNT(*) OVER ()).

    For hot lists: one round trip instead of two. `row(obj)` turns each object into its JSON dict.
    """
    paginator = PageNumberPagination()
    size = paginator.get_page_size(request)
    try:
        page = int(request.query_params.get("page", 1))
    except ValueError:
        page = 0
    if page < 1 or page > MAX_PAGE:  # a huge page would overflow PostgreSQL's bigint OFFSET
        raise NotFound("Invalid page.")
    offset = (page - 1) * size
    objects = list(queryset.annotate(_total=Window(Count("pk")))[offset : offset + size])
    if not objects and page > 1:
        raise NotFound("Invalid page.")
    total = objects[0]._total if objects else 0
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", page + 1) if offset + size < total else None
    if page == 1:
        previous_url = None
    elif page == 2:
        previous_url = remove_query_param(url, "page")
    else:
        previous_url = replace_query_param(url, "page", page - 1)
    return {"count": total, "next": next_url, "previous": previous_url, "results": [row(o) for o in objects]}

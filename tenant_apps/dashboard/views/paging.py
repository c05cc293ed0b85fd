from django.core.paginator import Page, Paginator


def page_of(request, items, per_page: int) -> tuple[Page, str]:
    """The requested page of `items` (an out-of-range or malformed ?page= gives the nearest valid page) and the
    query string of the other parameters, for the page links.
    """
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()

"""The hospital admin's webhook endpoints: list, add (its secret shown on that one page), the deliveries and their
attempts, delete and turn back on. Every rule is shared_apps/webhooks/services.py's, as for /api/webhooks/."""

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from shared_apps.common.errors import ApplicationError
from shared_apps.webhooks.selectors import delivery_list, endpoint_get, endpoint_list
from shared_apps.webhooks.services import endpoint_create, endpoint_delete, endpoint_enable
from tenant_apps.dashboard.access import dashboard_view
from tenant_apps.dashboard.forms import WebhookForm, add_service_error


def _endpoint(request, webhook_id):
    endpoint = endpoint_get(hospital=request.hospital, endpoint_id=webhook_id)
    if endpoint is None:
        raise Http404
    return endpoint


def _list_page(request, form=None, created=None, status=200):
    context = {
        "endpoints": endpoint_list(hospital=request.hospital),
        "form": form or WebhookForm(),
        "created": created,
        "section": "webhooks",
    }
    return render(request, "dashboard/webhooks.html", context, status=status)


SENT_FORM_SECONDS = 24 * 3600  # how long a sent add form is remembered (a refresh after that adds another)


@dashboard_view(admin_only=True)
def webhook_list(request):
    """The endpoints and the form to add one. After adding, the same page shows the new endpoint's secret, once:
    it is never shown again (never stored outside the endpoint). Each rendered form carries its own value; the
    first request to send it claims it in the cache (an atomic add), so the same form sent again (a refresh, a
    double click, two tabs) adds nothing and goes to the endpoint it added."""
    if request.method != "POST":
        return _list_page(request)
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    data = dict(form.cleaned_data)
    sent_form = f"webhook-form:{request.hospital.pk}:{data.pop('submission')}"
    if not cache.add(sent_form, "", timeout=SENT_FORM_SECONDS):
        return _already_added(request, cache.get(sent_form))
    try:
        endpoint = endpoint_create(actor=request.user, hospital=request.hospital, **data)
    except ApplicationError as exc:
        cache.delete(sent_form)  # corrected, the same form may be sent again
        return _list_page(request, form, status=add_service_error(form, exc))
    cache.set(sent_form, str(endpoint.pk), timeout=SENT_FORM_SECONDS)
    return _list_page(request, created=endpoint, status=201)


def _already_added(request, endpoint_id):
    if endpoint_id and endpoint_get(hospital=request.hospital, endpoint_id=endpoint_id):
        messages.info(request, "This webhook was already added; its secret was shown then, once.")
        return redirect("dashboard:webhook", webhook_id=endpoint_id)
    messages.info(request, "This form was already sent: see the list below.")
    return redirect("dashboard:webhooks")


@dashboard_view(admin_only=True)
def webhook_detail(request, webhook_id):
    endpoint = _endpoint(request, webhook_id)
    context = {"endpoint": endpoint, "deliveries": delivery_list(endpoint=endpoint), "section": "webhooks"}
    return render(request, "dashboard/webhook_detail.html", context)


@dashboard_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def webhook_delete(request, webhook_id):
    """GET asks to confirm (its deliveries and their attempts go too); POST deletes."""
    endpoint = _endpoint(request, webhook_id)
    if request.method == "GET":
        context = {"endpoint": endpoint, "section": "webhooks"}
        return render(request, "dashboard/webhook_delete_confirm.html", context)
    endpoint_delete(actor=request.user, hospital=request.hospital, endpoint=endpoint)
    messages.success(request, f"Webhook {endpoint.url} deleted.")
    return redirect("dashboard:webhooks")


@dashboard_view(admin_only=True)
@require_POST
def webhook_enable(request, webhook_id):
    endpoint = endpoint_enable(actor=request.user, hospital=request.hospital, endpoint=_endpoint(request, webhook_id))
    messages.success(request, f"Webhook {endpoint.url} turned back on: new events are delivered to it.")
    return redirect("dashboard:webhook", webhook_id=endpoint.pk)

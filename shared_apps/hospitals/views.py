"""The public registration form: the same service as POST /api/hospitals/register/."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django_ratelimit.decorators import ratelimit

from shared_apps.hospitals.forms import HospitalRegistrationForm
from shared_apps.hospitals.services import hospital_register


@ratelimit(key="ip", rate=settings.REGISTRATION_FORM_RATE, method="POST", block=True)
def register(request):
    form = HospitalRegistrationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hospital = hospital_register(actor=None, **data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return render(request, "hospitals/register_done.html", {"hospital": hospital}, status=201)
    return render(request, "hospitals/register.html", {"form": form}, status=400 if form.errors else 200)

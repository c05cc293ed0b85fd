"""HTML side of accounts on the platform host: the set-password page that invitation and reset links open."""

from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from shared_apps.accounts.services import password_link_user, password_set
from shared_apps.common.errors import ApplicationError


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def set_password(request, uid: str, token: str):
    """GET shows the form and consumes nothing (mail scanners prefetch links); POST sets the password."""
    user = password_link_user(uid=uid, token=token)
    if user is None:
        return render(request, "accounts/set_password_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = password_set(uid=uid, token=token, password=form.cleaned_data["new_password1"])
        except ApplicationError:
            return render(request, "accounts/set_password_invalid.html", status=400)
        except ValidationError as exc:
            form.add_error("new_password1", exc.messages if hasattr(exc, "messages") else str(exc))
        else:
            return render(request, "accounts/set_password_done.html", {"user": user})
    return render(request, "accounts/set_password.html", {"form": form, "email": user.email})

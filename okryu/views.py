from django.contrib import messages
from django.contrib.auth import login
from django.db import connection
from django.db.utils import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from okryu.forms import RegistrationForm


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except OperationalError:
        return JsonResponse({"database": "unreachable"}, status=503, headers={"Retry-After": "5"})
    return JsonResponse({"database": "ok"})


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("catalog:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        messages.success(request, _("Welcome to Okryu, %(name)s.") % {"name": user.first_name or user.username})
        return redirect(request.GET.get("next") or "catalog:home")
    return render(request, "registration/register.html", {"form": form})

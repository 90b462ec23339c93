from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from okryu.notices import services
from okryu.notices.forms import TextPreferencesForm
from okryu.notices.models import Notice

INBOX_SIZE = 50


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notices = Notice.objects.filter(recipient=request.user).order_by("-created_at", "-id")[:INBOX_SIZE]
    return render(request, "notices/inbox.html", {"notices": notices})


@login_required
def open_notice(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk, recipient=request.user)
    services.open_notice(notice)
    return redirect(notice.link or "notices:inbox")


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(user=request.user)
    return redirect("notices:inbox")


@login_required
def text_settings(request: HttpRequest) -> HttpResponse:
    form = TextPreferencesForm.for_user(request.user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        services.set_text_preferences(user=request.user, off=form.switched_off())
        messages.success(request, _("Your text message settings are saved."))
        return redirect("notices:settings")
    return render(request, "notices/settings.html", {"form": form}, status=400 if form.is_bound else 200)

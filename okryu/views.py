import mimetypes
import re
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.debug import sensitive_post_parameters

from okryu import accounts, files, password_reset
from okryu.forms import EraseAccountForm, PasswordResetForm, PasswordResetRequestForm, ProfileForm, RegistrationForm
from okryu.notices import services as notices_services
from okryu.notices.forms import TextPreferencesForm

# What the visitor asked a reset code for, between the two reset pages.
RESET_LOGIN = "password_reset_login"


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except OperationalError:
        return JsonResponse(
            {"database": "unreachable"}, status=503, headers={"Retry-After": str(settings.DATABASE_RETRY_AFTER)}
        )
    return JsonResponse({"database": "ok"})


class LogoutView(auth_views.LogoutView):
    """Django's logout, and the browser told to forget what the site kept
    in it (Clear-Site-Data): the courier page's service worker, its cached
    page and its outbox, so the next person on the phone finds none of it."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("catalog:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        messages.success(request, _("Welcome to Okryu, %(name)s.") % {"name": user.first_name or user.username})
        return redirect(request.GET.get("next") or "catalog:home")
    return render(request, "registration/register.html", {"form": form}, status=400 if form.is_bound else 200)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Name, phone, language and which notices also come by text message, in one form."""
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, instance=request.user)
    texts = TextPreferencesForm.for_user(request.user, data)
    if data is not None and form.is_valid() and texts.is_valid():
        with transaction.atomic():
            user = form.save()
            notices_services.set_text_preferences(user=user, off=texts.switched_off())
        # The chosen language is the site's from this answer on. Set on the
        # request too, or RememberLanguageMiddleware would store the old one back.
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
        messages.success(request, _("Your account is saved."))
        response = redirect("okryu:profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=settings.LANGUAGE_COOKIE_AGE,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE, secure=settings.LANGUAGE_COOKIE_SECURE,
                            httponly=settings.LANGUAGE_COOKIE_HTTPONLY)
        return response
    return render(request, "registration/profile.html", {"form": form, "texts": texts},
                  status=400 if data is not None else 200)


@sensitive_post_parameters("password")
@login_required
def erase_account(request: HttpRequest) -> HttpResponse:
    """Delete the account for good, after the password: what is kept for the
    books is said on the page (okryu.accounts.erase_account)."""
    form = EraseAccountForm(request.POST or None, user=request.user)
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        try:
            accounts.erase_account(user=request.user)
        except accounts.AccountNotErasable as refusal:
            form.add_error(None, refusal.reason)
            status = 409
        else:
            logout(request)
            messages.success(request, _("Your account is deleted. Thank you for shopping with Okryu."))
            return redirect("catalog:home")
    return render(request, "registration/erase_account.html", {"form": form}, status=status)


def password_reset_request(request: HttpRequest) -> HttpResponse:
    """Ask for a code by username or phone number. Whatever was typed, the
    answer is the code page: it never tells whether the account exists."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login_name = form.cleaned_data["login"]
        password_reset.request_code(login=login_name)
        request.session[RESET_LOGIN] = login_name
        return redirect("okryu:password_reset_code")
    return render(request, "registration/password_reset.html", {"form": form},
                  status=400 if form.is_bound else 200)


@sensitive_post_parameters("code", "new_password1", "new_password2")
def password_reset_code(request: HttpRequest) -> HttpResponse:
    """The code from the text message and a new password: the account is
    logged in here and out everywhere else."""
    login_name = request.session.get(RESET_LOGIN)
    if login_name is None:
        return redirect("okryu:password_reset")
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            try:
                reset = password_reset.check_code(login=login_name, code=form.cleaned_data["code"])
            except password_reset.CodeRefused:
                form.add_error("code", _("That code is wrong, used or expired. Check the text message, "
                                         "or ask for a new code."))
            else:
                form.validate_password_for_user(reset.user, "new_password2")
                if not form.errors:
                    user = password_reset.set_new_password(reset=reset, password=form.cleaned_data["new_password1"])
        if not form.errors:
            del request.session[RESET_LOGIN]
            login(request, user)
            messages.success(request, _("Your password is changed, and every other session is logged out."))
            return redirect("catalog:home")
    return render(request, "registration/password_reset_code.html",
                  {"form": form, "minutes": password_reset.CODE_MINUTES}, status=400 if form.is_bound else 200)


# Pictures, their thumbnails, and the renditions of voice and video are
# written under a fresh UUID each time (catalog.media.write_image,
# catalog.recordings.transcode): a name never comes back with other content.
GENERATED_MEDIA = re.compile(r"(^|/)[0-9a-f]{32}(-\w+)?\.(jpg|webp|mp4|m4a)$")
# Media types that a browser may show in the page; anything else is a download.
INLINE_MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp", "image/avif", "audio/mpeg", "audio/ogg",
                      "audio/mp4", "video/mp4", "video/webm"}


def media(request: HttpRequest, path: str) -> HttpResponse:
    """An uploaded file from MEDIA_ROOT, in byte ranges when asked
    (okryu.files). Uploads are never run: the file gets its own
    Content-Security-Policy that allows nothing (an SVG or HTML file that
    slipped in cannot script), nosniff (SecurityMiddleware), and is a
    download unless it is a picture, sound or video."""
    response = files.serve(request, path, document_root=settings.MEDIA_ROOT)
    content_type, _encoding = mimetypes.guess_type(path)
    if content_type not in INLINE_MEDIA_TYPES:
        response["Content-Type"] = "application/octet-stream"
        response["Content-Disposition"] = "attachment"
    else:
        response["Content-Disposition"] = "inline"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if GENERATED_MEDIA.search(path):
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        # Originals keep their uploaded names, which can come back for
        # another file once the first is deleted: a day at most.
        response["Cache-Control"] = "public, max-age=86400"
    return response


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, rendered without the request: no context
    processor runs, so nothing touches the session or the database."""
    retry_after = settings.DATABASE_RETRY_AFTER
    body = render_to_string("503.html", {"retry_after": retry_after})
    response = HttpResponse(body, status=503, headers={"Retry-After": str(retry_after)})
    add_never_cache_headers(response)
    return response


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage found outside a view (a middleware
    saving the session) is a 503 too; anything else is the plain 500 page,
    which names no error."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return database_unavailable(request)
    return HttpResponse(render_to_string("500.html"), status=500)

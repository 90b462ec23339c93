"""Setting a new password with a code sent to the account's phone.

Nothing here tells whether an account exists: a request for an unknown
username or phone number, a request over the rate limit and a good request
all end the same way, and every refused code reads the same.
"""

import secrets
import zlib
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import connection, transaction
from django.db.models import Count, F, Func, Q, Value
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from okryu.models import PasswordResetCode, User
from okryu.notices.models import Event
from okryu.notices.services import notify
from okryu.phones import normal_phone

CODE_MINUTES = 10
CODE_TRIES = 5
# Codes sent in an hour, per account and per phone number: a stranger
# cannot flood someone's phone or collect codes to guess.
CODES_PER_HOUR = 3


class CodeRefused(Exception):
    """The code is wrong, used, expired, tried too often, or there is none."""


def phone_digits(phone: str) -> str:
    return "".join(character for character in phone if character.isdigit())


def accounts_for(login: str) -> list[User]:
    """The active accounts ``login`` names: the one with that username, or
    those with that phone number (written in any form, or, for a phone
    stored before numbers were checked, with or without separators)."""
    login = login.strip()
    digits = phone_digits(login)
    match = Q(username=login)
    if normal := normal_phone(login):
        match |= Q(phone=normal)
    if len(digits) >= 3:
        match |= Q(phone_digits=digits)
    return list(
        User.objects.annotate(phone_digits=Func(F("phone"), Value(r"\D"), Value(""), Value("g"),
                                                function="regexp_replace"))
        .filter(match, is_active=True).order_by("pk")
    )


def request_code(*, login: str) -> None:
    """Text a new code to each account ``login`` names that has a phone,
    unless that account or that phone already had CODES_PER_HOUR codes in
    the last hour. A new code ends the account's earlier ones."""
    for user in accounts_for(login):
        if user.phone:
            _send_code(user)


@transaction.atomic
def _send_code(user: User) -> None:
    # The account's row and its phone's advisory lock, always in that
    # order: two requests for one account or one phone count in turn, so
    # the limit holds across workers.
    user = User.objects.select_for_update().get(pk=user.pk)
    phone = phone_digits(user.phone)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"password-reset:{phone}".encode())])
    now = timezone.now()
    sent = PasswordResetCode.objects.filter(created_at__gte=now - timedelta(hours=1)).aggregate(
        account=Count("pk", filter=Q(user=user)), phone=Count("pk", filter=Q(phone=phone)))
    if max(sent.values()) >= CODES_PER_HOUR:
        return
    PasswordResetCode.objects.filter(user=user, used_at=None, expires_at__gt=now).update(expires_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    reset = PasswordResetCode.objects.create(
        user=user, phone=phone, code_hash=make_password(code), expires_at=now + timedelta(minutes=CODE_MINUTES)
    )
    notify(recipient=user, event=Event.PASSWORD_RESET, obj_key=f"password_reset:{reset.pk}",
           context={"code": code, "minutes": CODE_MINUTES})


@sensitive_variables("code")
def check_code(*, login: str, code: str) -> PasswordResetCode:
    """The live code of an account ``login`` names that matches ``code``,
    locked until the caller's transaction ends. A wrong code counts as a try
    on every live code of those accounts (committed even though this
    raises); the fifth wrong try ends a code. Raises CodeRefused."""
    now = timezone.now()
    with transaction.atomic():
        live = list(
            PasswordResetCode.objects.select_for_update().select_related("user")
            .filter(user__in=accounts_for(login), used_at=None, expires_at__gt=now, tries__lt=CODE_TRIES)
            .order_by("pk")
        )
        for reset in live:
            if check_password(code, reset.code_hash):
                return reset
        PasswordResetCode.objects.filter(pk__in=[reset.pk for reset in live]).update(tries=F("tries") + 1)
    raise CodeRefused()


@sensitive_variables("password")
def set_new_password(*, reset: PasswordResetCode, password: str) -> User:
    """Use the code: the account gets ``password``, which changes its
    session hash and so ends every session it had."""
    user = reset.user
    user.set_password(password)
    user.save(update_fields=["password"])
    reset.used_at = timezone.now()
    reset.save(update_fields=["used_at"])
    return user

"""Status changes, one shape for every model that has a status.

A model lists its allowed moves, ``TRANSITIONS = {Status.A: {Status.B}}``,
has an event table that extends ``StatusEvent`` with a foreign key whose
``related_name`` is ``events``, and its verb methods call ``transition``.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class InvalidTransition(Exception):
    """The row's status does not allow the move (or the row changed since
    the caller read it); nothing was changed. ``instance`` is the row as it
    is now."""

    def __init__(self, instance: models.Model, wanted: str):
        super().__init__(f"{instance._meta.label} {instance.pk}: {instance.status} → {wanted}")
        self.instance = instance
        self.current = instance.status
        self.wanted = wanted

    @property
    def message(self) -> str:
        """Fit for the user, as the payment gateway's errors are."""
        model = self.instance._meta.verbose_name
        return gettext("This %(model)s can no longer be changed that way.") % {"model": model}


class StatusEvent(models.Model):
    """One status change: who, when, from, to and why. Each status model's
    event table extends this with its foreign key (``related_name="events"``)
    and, for readable timelines, the two status fields with its choices."""

    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


def transition(
    instance: models.Model,
    status: str,
    *,
    by=None,
    note: str = "",
    sources: Iterable[str] | None = None,
    fields: dict | None = None,
    check: Callable[[models.Model], bool] | None = None,
    event: dict | None = None,
    locked: bool = False,
) -> models.Model:
    """Move ``instance`` to ``status`` and return the row as saved.

    In one transaction: lock the row, check the move (from one of
    ``sources`` when given, else by the model's TRANSITIONS) and that
    ``check(locked)`` holds, save the status with ``fields``, and write an
    event row with ``event``'s extra columns. Raises InvalidTransition and
    changes nothing otherwise.

    ``locked=True`` says that ``instance`` was read with select_for_update
    in the caller's transaction (the payment issuer locks the payment before
    it moves money), so the row is not locked and read a second time.
    """
    model = type(instance)
    fields = fields or {}
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked=True needs the caller's transaction that holds the row lock")
    with transaction.atomic():
        row = instance if locked else model._default_manager.select_for_update().get(pk=instance.pk)
        if sources is None:
            allowed = status in model.TRANSITIONS.get(row.status, ())
        else:
            allowed = row.status in sources
        if not allowed or (check is not None and not check(row)):
            raise InvalidTransition(row, status)
        previous = row.status
        row.status = status
        for name, value in fields.items():
            setattr(row, name, value)
        row.save(update_fields=["status", *fields])
        row.events.create(from_status=previous, to_status=status, by=by, note=note[:200], **(event or {}))
    return row

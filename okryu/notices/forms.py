from django import forms
from django.utils.translation import gettext_lazy as _

from okryu.notices.models import OPTIONAL_TEXTS, SmsOptOut


class TextPreferencesForm(forms.Form):
    texts = forms.MultipleChoiceField(
        label=_("Send me a text message when"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(event.value, event.label) for event in OPTIONAL_TEXTS],
        error_messages={"invalid_choice": _("That is not a kind of message: choose from the list.")},
    )

    def switched_off(self) -> set[str]:
        return {event.value for event in OPTIONAL_TEXTS} - set(self.cleaned_data["texts"])

    @classmethod
    def for_user(cls, user, data=None) -> "TextPreferencesForm":
        """The form bound to ``data``, or showing what ``user`` receives now."""
        if data is not None:
            return cls(data)
        off = set(SmsOptOut.objects.filter(user=user).values_list("event", flat=True))
        return cls(initial={"texts": [event.value for event in OPTIONAL_TEXTS if event not in off]})

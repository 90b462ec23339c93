from django import forms
from django.utils.translation import gettext_lazy as _

from okryu.notices.models import OPTIONAL_TEXTS


class TextPreferencesForm(forms.Form):
    texts = forms.MultipleChoiceField(
        label=_("Send me a text message when"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(event.value, event.label) for event in OPTIONAL_TEXTS],
        error_messages={"invalid_choice": _("That is not a kind of message: choose from the list.")},
    )

    def switched_off(self) -> set[str]:
        return {event.value for event in OPTIONAL_TEXTS} - set(self.cleaned_data["texts"])

from django import forms
from django.utils.translation import gettext_lazy as _

from delivery.models import Delivery


class DeliveredForm(forms.Form):
    recipient_name = forms.CharField(label=_("Received by"), max_length=100)


class FailedForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Delivery.FailureReason.choices, widget=forms.RadioSelect)

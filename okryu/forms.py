from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from okryu.models import User


class RegistrationForm(UserCreationForm):
    first_name = forms.CharField(label=_("Name"), max_length=150)
    phone = forms.CharField(label=_("Phone"), max_length=20)

    class Meta:
        model = User
        fields = ["username", "first_name", "phone"]

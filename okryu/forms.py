from django import forms
from django.contrib.auth.forms import SetPasswordMixin, UserCreationForm
from django.utils.translation import gettext_lazy as _

from okryu.models import User


class RegistrationForm(UserCreationForm):
    first_name = forms.CharField(label=_("Name"), max_length=150)
    phone = forms.CharField(label=_("Phone"), max_length=20)

    class Meta:
        model = User
        fields = ["username", "first_name", "phone"]


class PasswordResetRequestForm(forms.Form):
    login = forms.CharField(label=_("Username or phone number"), max_length=150)


class PasswordResetForm(SetPasswordMixin, forms.Form):
    code = forms.RegexField(
        label=_("Code from the text message"), regex=r"^\d{6}$", max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        error_messages={"invalid": _("The code is the six digits of the text message.")},
    )
    new_password1, new_password2 = SetPasswordMixin.create_password_fields(
        label1=_("New password"), label2=_("New password again"))

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        # The rules that need no account (length, common, all digits) are
        # checked before the code is tried, so a bad password costs no try.
        self.validate_password_for_user(None, "new_password2")
        return super().clean()

from django import forms
from django.contrib.auth.forms import SetPasswordMixin, UserCreationForm
from django.utils.translation import gettext_lazy as _

from okryu.models import User
from okryu.phones import PhoneField


class RegistrationForm(UserCreationForm):
    first_name = forms.CharField(label=_("Name"), max_length=150)
    phone = PhoneField(label=_("Phone"))

    class Meta:
        model = User
        fields = ["username", "first_name", "phone"]


class ProfileForm(forms.ModelForm):
    first_name = forms.CharField(label=_("Name"), max_length=150)
    phone = PhoneField(label=_("Phone"), required=False)

    class Meta:
        model = User
        fields = ["first_name", "phone", "language"]
        labels = {"language": _("Language")}


class EraseAccountForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="password_incorrect")
        return password


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

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from okryu.models import User

admin.site.site_header = _("Okryu administration")
admin.site.site_title = _("Okryu")


@admin.register(User)
class OkryuUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + ((_("Contact"), {"fields": ["phone"]}),)
    list_display = ["username", "first_name", "phone", "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "phone"]

from functools import reduce
from operator import or_

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from okryu.models import User
from okryu.phones import normal_phone

admin.site.site_header = _("Okryu administration")
admin.site.site_title = _("Okryu")


class PhoneSearchMixin:
    """Search also finds a phone number typed as people write it (0191 234
    5678, 191-234-5678): phones are stored in E.164 (+8501912345678), which
    a plain text search of what was typed never matches."""

    phone_fields: tuple[str, ...] = ("phone",)

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        phone = normal_phone(search_term)
        if phone:
            results |= queryset.filter(reduce(or_, (Q(**{field: phone}) for field in self.phone_fields)))
        return results, may_have_duplicates


@admin.register(User)
class OkryuUserAdmin(PhoneSearchMixin, UserAdmin):
    fieldsets = UserAdmin.fieldsets + ((_("Contact"), {"fields": ["phone"]}),)
    list_display = ["username", "first_name", "phone", "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "phone"]

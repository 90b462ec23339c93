"""Staff read what was sent and what failed; nothing here is edited by
hand, so the one-per-(event, object, recipient) rule holds."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from okryu.admin import PhoneSearchMixin
from okryu.notices import services
from okryu.notices.models import Notice, SmsMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SmsMessage)
class SmsMessageAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    """The outbox. Reset codes are in it in clear, as on any SMS centre:
    only staff given the view permission on text messages read it."""

    list_display = ["created_at", "phone", "recipient", "event", "status", "attempts", "last_error"]
    list_filter = ["status", "event"]
    search_fields = ["phone", "recipient__username", "obj_key"]
    fields = ["recipient", "phone", "event", "obj_key", "text", "status", "attempts", "last_error",
              "created_at", "sent_at"]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.action(description=gettext_lazy("Send the failed messages again"), permissions=["view"])
    def send_again(self, request, queryset):
        count = services.send_again(message_ids=list(queryset.values_list("pk", flat=True)))
        messages.success(request, _("%(count)d text messages queued again.") % {"count": count})


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "event", "obj_key", "read_at"]
    list_filter = ["event"]
    search_fields = ["recipient__username", "obj_key"]
    fields = ["recipient", "event", "obj_key", "link", "text", "created_at", "read_at"]
    readonly_fields = fields

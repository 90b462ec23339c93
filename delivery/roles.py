"""The dispatcher role: a group of staff who give deliveries to couriers.

Written against a given app registry so that the data migration (with its
historical models) and the tests (after a flush empties the groups) build
the same group."""

DISPATCHER_GROUP = "dispatcher"
# The board needs "dispatch"; the rest lets dispatchers follow deliveries,
# couriers and slots in the admin.
DISPATCHER_PERMISSIONS = [
    "dispatch", "view_delivery", "change_delivery", "view_deliveryevent",
    "view_courier", "view_timeslot", "view_transportservice", "view_district", "view_servicearea",
]


def ensure_dispatcher_group(apps):
    """Create the dispatcher group, or bring its permissions up to date."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=DISPATCHER_GROUP)
    permissions = Permission.objects.filter(content_type__app_label="delivery", codename__in=DISPATCHER_PERMISSIONS)
    group.permissions.add(*permissions)
    return group

"""The front-desk role: a hotel's staff, who run its rooms, rates,
closures and reservations in the admin (scoped to their own lodging).

Written against a given app registry so that the data migration and the
tests (after a flush empties the groups) build the same group."""

FRONT_DESK_GROUP = "front desk"
FRONT_DESK_PERMISSIONS = [
    "view_lodging", "change_lodging",
    "view_roomtype", "change_roomtype", "add_roomtype",
    "view_raterule", "change_raterule", "add_raterule", "delete_raterule",
    "view_closure", "change_closure", "add_closure", "delete_closure",
    "view_reservation", "change_reservation", "view_reservationevent", "view_roomnight",
]


def ensure_front_desk_group(apps):
    """Create the front-desk group, or bring its permissions up to date."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=FRONT_DESK_GROUP)
    permissions = Permission.objects.filter(content_type__app_label="lodging", codename__in=FRONT_DESK_PERMISSIONS)
    group.permissions.add(*permissions)
    return group

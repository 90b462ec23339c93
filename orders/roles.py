"""The pharmacist role: bureau staff who approve or reject customers'
prescription numbers in the admin, and see nothing else of the orders.

Written against a given app registry so that the data migration and the
tests (after a flush empties the groups) build the same group."""

PHARMACIST_GROUP = "pharmacist"
PHARMACIST_PERMISSIONS = ["view_prescription", "change_prescription", "view_prescriptionevent"]


def ensure_pharmacist_group(apps):
    """Create the pharmacist group, or bring its permissions up to date."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=PHARMACIST_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="orders",
                                                     codename__in=PHARMACIST_PERMISSIONS))
    return group

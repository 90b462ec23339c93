from functools import partial

from okryu.notices.services import unread_count


def unread_notices(request):
    """The header's unread count, counted only when a logged-in visitor's
    header shows it (the template calls it): anonymous pages run no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notices": partial(unread_count, user)}

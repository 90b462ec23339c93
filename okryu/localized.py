from django.utils.translation import get_language


def pick(obj, field: str) -> str:
    """The English value of a ``<field>_ko``/``<field>_en`` pair when the page
    is in English and one is given, the Korean value otherwise."""
    if (get_language() or "").startswith("en"):
        english = getattr(obj, f"{field}_en")
        if english:
            return english
    return getattr(obj, f"{field}_ko")

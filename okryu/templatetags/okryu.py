from django import template

from okryu.money import format_won
from okryu.phones import display_phone

register = template.Library()


@register.filter
def won(amount):
    return format_won(amount)


@register.filter
def phone(stored):
    return display_phone(stored or "")

from django import template

from okryu.money import format_won

register = template.Library()


@register.filter
def won(amount):
    return format_won(amount)

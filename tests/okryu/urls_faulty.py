"""The project's URLs plus a view that fails, for the 500 page's test."""

from django.urls import path

from okryu.urls import handler500
from okryu.urls import urlpatterns as project_urlpatterns


def broken(request):
    raise RuntimeError("secret internals: table orders_order, password=hunter2")


urlpatterns = [path("broken/", broken), *project_urlpatterns]
__all__ = ["handler500", "urlpatterns"]

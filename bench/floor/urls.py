from django.urls import path

from bench.floor.views import floor
from okryu.urls import handler500  # noqa: F401  (handler500 is read here)
from okryu.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("floor/", floor), *project_urlpatterns]

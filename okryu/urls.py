from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve

from okryu import views

accounts = ([
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
], "okryu")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include(accounts)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("orders.urls")),
    path("", include("payments.urls")),
    path("", include("delivery.urls")),
    path("", include("catalog.urls")),
]
# Uploaded media from this process: fine for one box on the bureau's
# network; a front web server can take the /media/ path over unchanged.
urlpatterns.insert(0, re_path(r"^media/(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT}))

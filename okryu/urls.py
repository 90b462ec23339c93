from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path, reverse_lazy

from okryu import views

accounts = ([
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("profile/", views.profile, name="profile"),
    path("delete/", views.erase_account, name="erase_account"),
    # Own template names: the admin's password pages use Django's defaults.
    path("password/", auth_views.PasswordChangeView.as_view(
        template_name="registration/change_password.html", success_url=reverse_lazy("okryu:password_changed"),
    ), name="password_change"),
    path("password/reset/", views.password_reset_request, name="password_reset"),
    path("password/reset/code/", views.password_reset_code, name="password_reset_code"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="registration/password_changed.html"), name="password_changed"),
], "okryu")

handler500 = "okryu.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include(accounts)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("okryu.notices.urls")),
    path("", include("orders.urls")),
    path("", include("payments.urls")),
    path("", include("delivery.urls")),
    path("", include("lodging.urls")),
    path("", include("catalog.urls")),
]
# Uploaded media from this process: fine for one box on the bureau's
# network; a front web server can take the /media/ path over unchanged.
urlpatterns.insert(0, re_path(r"^media/(?P<path>.+)$", views.media, name="media"))

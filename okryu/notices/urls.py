from django.urls import path

from okryu.notices import views

app_name = "notices"
urlpatterns = [
    path("notices/", views.inbox, name="inbox"),
    path("notices/read/", views.mark_all_read, name="mark_all_read"),
    path("notices/<int:pk>/", views.open_notice, name="open"),
    path("accounts/notices/", views.text_settings, name="settings"),
]

from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.suggest, name="suggest"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("s/<slug:slug>/", views.seller, name="seller"),
    path("s/<slug:slug>/score/", views.seller_score, name="seller_score"),
    path("captions/<int:pk>.<str:language>.vtt", views.captions, name="captions"),
    path("wishes/", views.wish_list, name="wish_list"),
    path("wishes/<slug:slug>/", views.change_wish, name="change_wish"),
]

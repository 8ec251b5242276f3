from django.urls import path

from challenges.views import accounts, catalog

urlpatterns = [
    path("", catalog.catalog, name="catalog"),
    path("challenges/<slug:slug>/", catalog.challenge, name="challenge"),
    path("accounts/signup/", accounts.signup, name="signup"),
]

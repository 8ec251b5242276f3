from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from challenges.views import accounts
from config import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path(settings.ADMIN_PATH, admin.site.urls),
    # Log-in before the rest of django.contrib.auth's URLs: the same view, rate-limited.
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("classrooms/", include("classroom.urls")),
    path("", include("challenges.urls")),
]

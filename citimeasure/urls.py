from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from citimeasure import views, views_privacy

# The admin has no login form of its own: it goes through the site login (e-mail, TOTP).
admin.site.login = login_required(views.admin_login)

urlpatterns = [
    # The API first: devices post a reading a minute each, and Django tries the patterns in
    # order (after the pages, resolving a readings POST took ~0.2 ms of its ~2 ms).
    path("api/v1/", include("citimeasure.api")),
    path("", include("projects.urls")),
    path("", include("measurements.urls")),
    path("scores/", include("projects.urls_scores")),
    path("accounts/", include("allauth.urls")),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("account/privacy/", views_privacy.privacy, name="privacy"),
    path("account/privacy/my-data.json", views_privacy.privacy_export, name="privacy-export"),
    path("account/delete/", views_privacy.account_delete_view, name="account-delete"),
    path("audit/", views.audit_log, name="audit-log"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

from django.urls import path

from psops.accounts import views, views_notifications, views_security

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("accounts/login/code/", views_security.sign_in_code, name="sign_in_code"),
    path("account/confirm/", views_security.reauthenticate, name="reauthenticate"),
    path("account/security/", views_security.security, name="security"),
    path("account/password/", views_security.password_change, name="password_change"),
    path("account/email/", views_security.email_change, name="email_change"),
    path("account/email/cancel/", views_security.email_change_cancel, name="email_change_cancel"),
    path(
        "account/email/confirm/<str:token>/",
        views_security.email_change_confirm,
        name="email_change_confirm",
    ),
    path(
        "account/security/two-factor/setup/",
        views_security.two_factor_setup,
        name="two_factor_setup",
    ),
    path(
        "account/security/two-factor/remove/",
        views_security.two_factor_disable,
        name="two_factor_disable",
    ),
    path("accounts/password-reset/", views.password_reset, name="password_reset"),
    path("accounts/password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("notifications/", views_notifications.notification_list, name="notification_list"),
    path(
        "notifications/read-all/",
        views_notifications.notification_mark_all_read,
        name="notification_mark_all_read",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        views_notifications.notification_mark_read,
        name="notification_mark_read",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("settings/users/", views.user_list, name="user_list"),
    path("settings/organization/", views.organization_settings, name="organization_settings"),
    path("settings/users/invite/", views.invitation_create, name="invitation_create"),
    path(
        "settings/invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "settings/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("settings/users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("settings/users/<int:user_id>/active/", views.user_set_active, name="user_set_active"),
]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    default = True
    name = "shixun.accounts"
    label = "shixun_accounts"
    verbose_name = _("Accounts and schools")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from .first_login import remember_on_login
        from .roles import ensure_role_groups
        from .throttling import apply_axes_defaults

        # Before axes' own ready() (Shixun's apps come first): axes reads its settings once.
        apply_axes_defaults()

        user_logged_in.connect(remember_on_login, dispatch_uid="shixun_accounts_first_login")

        # Wagtail's access_admin permission is created by its own post_migrate
        # handler; ours runs after it because wagtail.admin... is installed
        # later, so connect without a sender and let it be idempotent.
        post_migrate.connect(ensure_role_groups, dispatch_uid="shixun_accounts_role_groups")


class UsersAppConfig(WagtailUsersAppConfig):
    """Replaces wagtail.users so the admin's user forms know Shixun's fields."""

    user_viewset = "shixun.accounts.viewsets.UserViewSet"

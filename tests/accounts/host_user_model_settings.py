"""The test settings with Django's default user model, as a host Wagtail site would have.

Shixun must not need its own user model: see test_host_user_model.py.
"""

from shixun.config.settings.test import *  # noqa: F401,F403
from shixun.config.settings.test import INSTALLED_APPS

AUTH_USER_MODEL = "auth.User"
# Wagtail's own user admin instead of Shixun's (which adds the profile's fields to it).
INSTALLED_APPS = ["wagtail.users" if app == "shixun.accounts.apps.UsersAppConfig" else app for app in INSTALLED_APPS]

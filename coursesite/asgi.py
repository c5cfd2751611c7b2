"""
ASGI config for coursesite project.

It exposes the ASGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/6.1/howto/deployment/asgi/
"""

import os

from django.core.asgi import get_asgi_application

from coursesite.checks import log_serving_risks
from coursesite.settings import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")

# Here, not in the settings: manage.py (collectstatic when the image is built, migrate)
# and the tests run without a key. What is unsafe but allowed is logged once serving.
require_secret_key()
application = get_asgi_application()

log_serving_risks()

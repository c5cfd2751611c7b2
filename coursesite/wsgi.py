"""
WSGI config for coursesite project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/6.1/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

from coursesite.checks import log_serving_risks
from coursesite.settings import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")

# Here, not in the settings: manage.py (collectstatic when the image is built, migrate)
# and the tests run without a key. What is unsafe but allowed is logged once serving.
require_secret_key()
application = get_wsgi_application()

log_serving_risks()

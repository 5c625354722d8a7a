"""Settings for the benchmark's server process only: the production settings plus the floor view.

Never configured by an installation; `gvi bench` sets DJANGO_SETTINGS_MODULE to this module for the server
it starts on loopback.
"""

from gvi.settings import *  # noqa: F403

ROOT_URLCONF = "gvi.bench.urls"

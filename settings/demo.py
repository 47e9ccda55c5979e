"""The bundled demo portal runs on 127.0.0.1, which real crawls must not reach."""

from settings.base import *  # noqa: F403

ALLOW_PRIVATE_NETWORKS = True
LOGSTATS_INTERVAL = 5.0

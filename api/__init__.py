# Before anything imports prometheus_client (services/metrics_setup.py says why).
from services.metrics_setup import use_multiprocess_dir

use_multiprocess_dir("web")

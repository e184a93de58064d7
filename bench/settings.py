"""Settings for the benchmarks: production settings plus the baseline view's URL.

Everything else comes from the environment exactly as in production; the harness
(`bench/harness.py`) sets that environment. Only STATIC_ROOT may be moved out of
the work tree so `collectstatic` for a bench run touches nothing of the project.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import STATIC_ROOT as _STATIC_ROOT

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = os.environ.get("HUSH_BENCH_STATIC_ROOT") or _STATIC_ROOT

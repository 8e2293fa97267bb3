"""Settings for the test suite: Vestige's own, with a throwaway data folder."""

import os
import tempfile

os.environ.setdefault("VESTIGE_DATA_DIR", tempfile.mkdtemp(prefix="vestige-test-"))

from vestige.settings import *  # noqa: F403

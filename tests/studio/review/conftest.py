from __future__ import annotations

import pytest

from studio.review import review_show
from tests.studio.review.rehearsal import record_rehearsal


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    """The full rehearsal show, recorded once per module, and its review."""
    recorded = record_rehearsal(tmp_path_factory.mktemp("rehearsal"))
    return recorded, review_show(recorded.db, stats_paths=[recorded.stats])

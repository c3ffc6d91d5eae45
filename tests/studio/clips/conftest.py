"""One recorded rehearsal show and its clips, made once for the folder's tests."""
from __future__ import annotations

import pytest

from tests.studio.clips.rehearsal_recording import record_show


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return record_show(tmp_path_factory.mktemp("rehearsal"))


@pytest.fixture(scope="module")
def made(recorded, tmp_path_factory):
    from studio.clips import make_clips

    out = tmp_path_factory.mktemp("clips")
    progress = []
    result = make_clips(recorded.db, recorded.recording, out, max_seconds=5,
                        on_progress=lambda done, count, fraction: progress.append((done, count, fraction)))
    return result, progress

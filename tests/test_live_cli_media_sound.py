"""``bridgecast live --source file:…`` carries the file's sound, run as a user runs it."""
import numpy as np

from tests.studio.sources.av_media import make_av_clip
from tests.test_live_cli import live


def test_live_from_a_media_file_records_its_sound(tmp_path):
    import av

    clip = make_av_clip(tmp_path / "product.mp4", seconds=3.0, width=640, height=360, sound="tone")  # −12 dBFS
    recording = tmp_path / "show.mkv"
    result = live("--source", f"file:{clip}", "--canvas", "640x360", "--layers", "h", "--duration", "5",
                  "--record", str(recording))
    assert result.returncode == 0, result.stderr
    with av.open(str(recording)) as container:
        samples = np.concatenate([frame.to_ndarray().ravel() for frame in container.decode(audio=0)])
    peak_dbfs = 20 * np.log10(max(float(np.abs(samples).max()), 1e-9))
    assert -13.5 < peak_dbfs < -10.5, peak_dbfs  # the file's tone, at its own level

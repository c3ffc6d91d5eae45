"""The review's HTML report in headless Chromium: opened from a file with the network cut off,
every chart is drawn (SVG present, of real size, with visible marks), segments shaded and pins
marked on the viewers curve, and the page fetched nothing."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from studio.review import report, review_show
from tests.studio.review.rehearsal import record_rehearsal

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1366,768",
         "--virtual-time-budget=3000"]
# Appended to a copy of the report (the report itself has no script): measures what was drawn.
MEASURE = """<script>
window.addEventListener('load', () => {
  const charts = [...document.querySelectorAll('.chart')].map(chart => {
    const svg = chart.querySelector('svg');
    const box = svg.getBoundingClientRect();
    const marks = [...svg.querySelectorAll('path, rect, use')].filter(e => {
      const b = e.getBBox(); return b.width > 0 && b.height > 0; }).length;
    const segments = [...svg.querySelectorAll('[id^="segment-"]')].filter(e => {
      const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length;
    const pins = [...svg.querySelectorAll('[id^="pin-"]')].filter(e => {
      const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length;
    return {id: chart.id, width: box.width, height: box.height, marks, segments, pins};
  });
  const out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = JSON.stringify({charts, resources: performance.getEntriesByType('resource').length,
                                    width: document.documentElement.scrollWidth});
  document.body.appendChild(out);
});
</script>"""


def test_the_report_draws_every_chart_in_chromium(tmp_path):
    recorded = record_rehearsal(tmp_path / "show")
    review = review_show(recorded.db, stats_paths=[recorded.stats])
    page = report.write_html(review, tmp_path / "review.html").read_text(encoding="utf-8")
    measured_page = tmp_path / "measured.html"
    measured_page.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    result = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                             measured_page.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="measured">(.*?)</pre>', result.stdout, flags=re.S)
    assert found, result.stderr[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert measured["resources"] == 0  # nothing fetched: the page is self-contained
    assert measured["width"] <= 1366  # readable at 1366 wide without scrolling sideways
    charts = {chart["id"]: chart for chart in measured["charts"]}
    assert set(charts) == {"chart-viewers", "chart-activity", "chart-plan", "chart-quality"}
    for chart in charts.values():
        assert chart["width"] > 600 and chart["height"] > 120, chart
        assert chart["marks"] > 20, chart  # axes, ticks, bars, areas, lines: drawn, not an empty frame
    assert charts["chart-viewers"]["segments"] == 5  # the run-of-show's five segments shaded
    assert charts["chart-viewers"]["pins"] == len(review.pins) == 3  # each pin marked on the curve

"""The real-parts test bed, shipped with the benchmarks (the tests import it from here too).

A real SFU on one machine (Janus VideoRoom + simple-whip-server in network namespaces:
:mod:`bench.testbed.harness`), a userspace link shaper standing in for netem
(:mod:`bench.testbed.shaper`), subscribers through Janus (aiortc: :class:`harness.JanusSubscriber`,
:mod:`bench.testbed.data_subscriber`, browser-like loss recovery in
:mod:`bench.testbed.recovering_jitter`; headless Chromium: :mod:`bench.testbed.browser`), minimal
aiortc WHIP publishers (:mod:`bench.testbed.publisher`) and recording checks
(:mod:`bench.testbed.recording`).  It lives here, not in ``tests/``, because the installed
``bridgecast bench …`` console script has no ``tests`` package; pytest fixtures stay in tests/sfu.
Install the binaries with ``tools/setup_sfu.sh`` (as root).
"""

"""Benchmarks: ``bridgecast bench NAME --json`` prints one JSON object on the last line."""
from __future__ import annotations

import importlib

BENCHMARKS = {
    "compositor": "bench.compositor",
    "encode": "bench.encode",
    "latency": "bench.latency",
    "latency-browser": "bench.latency_browser",
    "pipeline": "bench.pipeline",
    "cover": "bench.cover",
    "network": "bench.network",
    "outputs": "bench.outputs",
    "app": "bench.app",
    "connectors": "bench.connectors",
    "questions": "bench.question_cues",
}


def run_benchmark(name: str, argv: list[str]) -> int:
    module_name = BENCHMARKS.get(name)
    if module_name is None:
        raise KeyError(name)
    module = importlib.import_module(module_name)
    return int(module.main(argv) or 0)

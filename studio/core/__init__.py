"""The bottom layer every package of Bridgecast may use: frames, clocks, events, errors,
translations and paths.  It imports nothing else of the project (an import-linter contract in
pyproject.toml holds it to that), so ``encoders/`` and ``cover_designer/`` can build on it
without reaching up into the engine."""

"""Measurements behind design choices; each module runs with `uv run python -m benchmarks.<name>`."""

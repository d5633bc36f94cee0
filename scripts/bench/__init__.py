"""Benchmarks (issues #8, #17): the provider next to the engine's floor, measured side by side in one run.

    python -m scripts.bench                 full size; writes BENCHMARKS.md
    python -m scripts.bench --size ci       small sizes (CI keeps it working; no thresholds asserted)

Run through `make bench` / `make bench-ci`, which set up the engine environment (scripts/env.sh). One module per
measure: `overhead`, `request_counts`, `hashing`, `concurrency`, `scale`; `engine` holds the emulator process, the
stacks and the programs they run; `report` writes the table and BENCHMARKS.md. The machine is shared and noisy:
every figure that matters is a ratio of two things measured in turn (A, B, A, B ...) in the same run.
"""

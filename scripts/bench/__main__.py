"""`python -m scripts.bench --size full|ci`: the entry point of `make bench` and `make bench-ci`."""

from scripts.bench.run import main

raise SystemExit(main())

"""make bench: scenarios (bench.py), the synthetic schema (synth.py), fresh-process probes (probe.py)."""

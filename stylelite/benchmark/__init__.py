"""Measuring on this machine, and the records every measurement becomes.

The host benchmark (`host_bench.bench`), the pipeline benchmark (`pipeline_bench.bench_pipeline`),
per-model memory in a fresh process (`memory_probe`), flicker of videos on disk (`temporal_compare`);
the records (`records`: BenchRecord, PipelineRecord, BenchRun), the one timing loop (`timing`) and the
one table printer (`table`). Torch-free; stands on the runtime only. `timing`, `memory` and `facts`
import the standard library and numpy alone: they travel in the device runner bundle.
"""

"""Workflows: compositions of the layers below, one module each, each behind one CLI verb.

- demo: the whole job on built-in data (distil, export, stylize, benchmark, report), `stylelite demo`.
- student_search: device-in-the-loop student search: train candidates briefly, time them where they will
  run, keep the Pareto front of fidelity, latency and flicker, and pick the best student for a latency
  budget, `stylelite search`.
"""

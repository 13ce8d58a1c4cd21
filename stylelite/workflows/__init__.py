"""Device-in-the-loop student search: train candidates briefly, time them where they will run, keep the
Pareto front of fidelity, latency and flicker, and pick the best student for a latency budget."""

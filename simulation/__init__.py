"""`onething simulate`: demo data made by the real system, over weeks of simulated time (docs/simulation.md)."""

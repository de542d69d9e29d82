"""Benchmarks that print figures (never timed tests); run each script directly."""

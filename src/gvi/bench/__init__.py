"""Synthetic national-scale data and the benchmark suite behind `gvi seed` and `gvi bench`."""

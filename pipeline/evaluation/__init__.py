"""Measurement commands behind ``make eval`` and ``make bench``; not used by the pipeline."""

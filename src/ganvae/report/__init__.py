"""The self-contained HTML report: reads a run folder, never trains or imports models."""

"""Dataset and model cards rendered from the artifacts (never typed by hand)."""

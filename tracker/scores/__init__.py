"""Scores: pure scoring rules, exact sums, the derived score tables kept current on every write,
fits across forecasters, and the reports read from them."""

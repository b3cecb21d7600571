"""Intake: reading documents (txt, md, html, pdf), finding forecasts in their text, reading
estimative words as probabilities (scales/), and dates. Knows nothing of the ledger."""

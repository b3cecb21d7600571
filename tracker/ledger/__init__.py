"""The ledger: the SQLite database, its schema and migrations, and the records kept in it
(documents, questions, forecasts, outcomes) with their audit trail. Knows nothing of scores."""

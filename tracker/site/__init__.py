"""The site: the Datasette plugin, its templates and metadata, and publishing snapshots. Reads
the ledger and its scores; writes nothing."""

"""The curated record: one YAML file per document in forecasts/ (format: docs/record-format.md).

`load.load_record` reads and validates a file into plain row dicts; `write.import_records` writes
any number of them in one transaction; `export.export_records` writes the database back in
canonical form, so that import → export → import changes nothing.
"""

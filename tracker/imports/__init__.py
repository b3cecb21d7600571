"""Imports: flat tables of forecasts and outcomes (CSV, JSONL) and the adapters for other
projects' exports, written into the ledger.

    dispatch.py       import_file / import_files / KINDS: a table, or a file through its adapter
    table_file.py     reading a .csv or .jsonl one row at a time; the column check
    cells.py          blank cells, ';' lists, memoised value parsing
    run.py            one file's import: chunks, staging tables, one transaction, rejects
    forecast_rows.py  the checks of a forecast row, and the set-based write of the staged rows
    outcome_rows.py   the checks and write of outcome rows
    progress.py       the progress bar and the summary text
    adapters/         Fatebook and PredictionBook files as table rows
"""

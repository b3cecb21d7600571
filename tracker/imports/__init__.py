"""Imports: flat tables of forecasts and outcomes (CSV, JSONL) and the adapters for other
projects' exports, written into the ledger."""

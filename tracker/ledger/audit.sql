-- The audit trail's reading side. Its tables (`_history_json`, the change groups, and one
-- `_history_json_<table>` per audited table) and the triggers that fill them are made by
-- sqlite-history-json's enable_tracking, which the baseline step runs for each table in
-- tracker.ledger.audit.AUDITED just before this file.

-- Every change to the ledger's own tables, newest last per table, with who, which command and why.
CREATE VIEW change_log AS
SELECT 'authors' AS table_name, a.[pk_id] AS record, a.id AS change, a.timestamp AS at,
       a.operation, a.updated_values AS new_values, json_extract(g.note, '$.by') AS by,
       json_extract(g.note, '$.command') AS command, json_extract(g.note, '$.note') AS note
FROM [_history_json_authors] a LEFT JOIN _history_json g ON g.id = a.[group]
UNION ALL
SELECT 'documents' AS table_name, a.[pk_id] AS record, a.id AS change, a.timestamp AS at,
       a.operation, a.updated_values AS new_values, json_extract(g.note, '$.by') AS by,
       json_extract(g.note, '$.command') AS command, json_extract(g.note, '$.note') AS note
FROM [_history_json_documents] a LEFT JOIN _history_json g ON g.id = a.[group]
UNION ALL
SELECT 'document_authors' AS table_name, a.[pk_document_id] || '/' || a.[pk_author_id] AS record, a.id AS change, a.timestamp AS at,
       a.operation, a.updated_values AS new_values, json_extract(g.note, '$.by') AS by,
       json_extract(g.note, '$.command') AS command, json_extract(g.note, '$.note') AS note
FROM [_history_json_document_authors] a LEFT JOIN _history_json g ON g.id = a.[group]
UNION ALL
SELECT 'questions' AS table_name, a.[pk_id] AS record, a.id AS change, a.timestamp AS at,
       a.operation, a.updated_values AS new_values, json_extract(g.note, '$.by') AS by,
       json_extract(g.note, '$.command') AS command, json_extract(g.note, '$.note') AS note
FROM [_history_json_questions] a LEFT JOIN _history_json g ON g.id = a.[group]
UNION ALL
SELECT 'forecasts' AS table_name, a.[pk_id] AS record, a.id AS change, a.timestamp AS at,
       a.operation, a.updated_values AS new_values, json_extract(g.note, '$.by') AS by,
       json_extract(g.note, '$.command') AS command, json_extract(g.note, '$.note') AS note
FROM [_history_json_forecasts] a LEFT JOIN _history_json g ON g.id = a.[group]
UNION ALL
SELECT 'forecast_authors' AS table_name, a.[pk_forecast_id] || '/' || a.[pk_author_id] AS record, a.id AS change, a.timestamp AS at,
       a.operation, a.updated_values AS new_values, json_extract(g.note, '$.by') AS by,
       json_extract(g.note, '$.command') AS command, json_extract(g.note, '$.note') AS note
FROM [_history_json_forecast_authors] a LEFT JOIN _history_json g ON g.id = a.[group]
UNION ALL
SELECT 'outcomes' AS table_name, a.[pk_id] AS record, a.id AS change, a.timestamp AS at,
       a.operation, a.updated_values AS new_values, json_extract(g.note, '$.by') AS by,
       json_extract(g.note, '$.command') AS command, json_extract(g.note, '$.note') AS note
FROM [_history_json_outcomes] a LEFT JOIN _history_json g ON g.id = a.[group]
UNION ALL
SELECT 'outcome_evidence' AS table_name, a.[pk_id] AS record, a.id AS change, a.timestamp AS at,
       a.operation, a.updated_values AS new_values, json_extract(g.note, '$.by') AS by,
       json_extract(g.note, '$.command') AS command, json_extract(g.note, '$.note') AS note
FROM [_history_json_outcome_evidence] a LEFT JOIN _history_json g ON g.id = a.[group];

-- A write that changes nothing drops its empty change group, and every audit table's `group`
-- column refers to it: with foreign keys on, SQLite looked for referring rows by reading all
-- eight tables (0.2 s for a refused `resolve` on a 1M ledger, and on every unchanged re-import).
CREATE INDEX [_history_json_authors_group] ON [_history_json_authors] ([group]);
CREATE INDEX [_history_json_documents_group] ON [_history_json_documents] ([group]);
CREATE INDEX [_history_json_document_authors_group] ON [_history_json_document_authors] ([group]);
CREATE INDEX [_history_json_questions_group] ON [_history_json_questions] ([group]);
CREATE INDEX [_history_json_forecasts_group] ON [_history_json_forecasts] ([group]);
CREATE INDEX [_history_json_forecast_authors_group] ON [_history_json_forecast_authors] ([group]);
CREATE INDEX [_history_json_outcomes_group] ON [_history_json_outcomes] ([group]);
CREATE INDEX [_history_json_outcome_evidence_group] ON [_history_json_outcome_evidence] ([group]);

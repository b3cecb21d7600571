-- The ledger's own tables: what analysts record. The baseline step (migrations.py) creates them
-- on a new ledger; every later change is a small named step after it. Score tables and the
-- views over them are derived, and defined apart in tracker/scores/schema.sql.
-- Views here are plain SQL, so that any SQLite client can read them.

-- ---------------------------------------------------------------- people and documents

CREATE TABLE authors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    affiliation TEXT
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    publisher TEXT,
    series TEXT,
    published_on TEXT,
    published_on_note TEXT,
    language TEXT,
    url TEXT,
    url_note TEXT,
    sha256 TEXT,
    text TEXT
);

CREATE TABLE document_authors (
    document_id TEXT NOT NULL REFERENCES documents(id),
    author_id TEXT NOT NULL REFERENCES authors(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (document_id, author_id)
);
CREATE INDEX idx_document_authors_author ON document_authors(author_id);

-- Every text a document has had, oldest first, each version linked to the one it replaces.
-- Triggers on documents keep it complete however the row is written (record import,
-- `tracker document add`, any SQL client): a new SHA-256 appends a version, and text supplied
-- later for the same bytes fills in the current version.
CREATE TABLE document_versions (
    id INTEGER PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id),
    version INTEGER NOT NULL,
    sha256 TEXT,
    text TEXT,
    replaces INTEGER REFERENCES document_versions(id),
    recorded_at TEXT NOT NULL,
    source TEXT,
    UNIQUE (document_id, version)
);
CREATE INDEX idx_document_versions_sha256 ON document_versions(sha256);

CREATE TRIGGER documents_first_version AFTER INSERT ON documents
BEGIN
    INSERT INTO document_versions (document_id, version, sha256, text, recorded_at)
    VALUES (new.id, 1, new.sha256, new.text, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
END;

CREATE TRIGGER documents_new_version AFTER UPDATE OF sha256 ON documents
WHEN old.sha256 IS NOT NULL AND new.sha256 IS NOT old.sha256
BEGIN
    -- A text belongs to its hash: new bytes without new text (a record naming another
    -- version) take that version's text if it was ever stored, else none.
    INSERT INTO document_versions (document_id, version, sha256, text, replaces, recorded_at)
    SELECT new.id, coalesce(max(version), 0) + 1, new.sha256,
           CASE WHEN new.text IS NOT old.text THEN new.text ELSE
               (SELECT v.text FROM document_versions v WHERE v.document_id = new.id
                AND v.sha256 = new.sha256 ORDER BY v.version DESC LIMIT 1) END,
           (SELECT id FROM document_versions WHERE document_id = new.id ORDER BY version DESC LIMIT 1),
           strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
    FROM document_versions WHERE document_id = new.id;
    UPDATE documents SET text = (SELECT text FROM document_versions WHERE document_id = new.id
                                 ORDER BY version DESC LIMIT 1)
    WHERE id = new.id AND new.text IS old.text;
END;

CREATE TRIGGER documents_first_hash AFTER UPDATE OF sha256 ON documents
WHEN old.sha256 IS NULL AND new.sha256 IS NOT NULL
BEGIN
    UPDATE document_versions SET sha256 = new.sha256, text = coalesce(new.text, text)
    WHERE id = (SELECT id FROM document_versions WHERE document_id = new.id ORDER BY version DESC LIMIT 1);
END;

CREATE TRIGGER documents_text_filled AFTER UPDATE OF text ON documents
WHEN new.sha256 IS old.sha256 AND new.text IS NOT old.text
BEGIN
    UPDATE document_versions SET text = new.text
    WHERE id = (SELECT id FROM document_versions WHERE document_id = new.id ORDER BY version DESC LIMIT 1);
END;

-- ---------------------------------------------------------------- questions and forecasts

CREATE TABLE questions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    criteria TEXT,
    resolve_by TEXT,
    topics TEXT NOT NULL DEFAULT '[]',
    note TEXT,
    -- a multiple-choice question has options (JSON); its outcome names the one that happened
    kind TEXT NOT NULL DEFAULT 'binary' CHECK (kind IN ('binary', 'multiple_choice')),
    options TEXT
);

-- A forecast on a yes/no question holds one probability; one on a multiple-choice question a
-- distribution over its options (JSON), and `probabilities_given` what the source wrote.
CREATE TABLE forecasts (
    id TEXT PRIMARY KEY,
    question_id TEXT NOT NULL REFERENCES questions(id),
    document_id TEXT REFERENCES documents(id),
    made_on TEXT NOT NULL,
    probability REAL CHECK (probability IS NULL OR (probability >= 0 AND probability <= 1)),
    probabilities TEXT,
    probabilities_given TEXT,
    interval_low REAL CHECK (interval_low IS NULL OR interval_low <= probability),
    interval_high REAL CHECK (interval_high IS NULL OR interval_high >= probability),
    method TEXT NOT NULL CHECK (method IN ('stated', 'scale', 'analyst')),
    scale TEXT,
    scale_version TEXT,
    phrase TEXT,
    quote TEXT,
    quote_offset INTEGER,
    location TEXT,
    reasoning TEXT,
    coded_by TEXT,
    conditional_on TEXT REFERENCES forecasts(id),
    note TEXT,
    CHECK ((probability IS NULL) != (probabilities IS NULL))
);
CREATE INDEX idx_forecasts_question ON forecasts(question_id);
CREATE INDEX idx_forecasts_document ON forecasts(document_id);
-- A forecast's row page counts the forecasts conditional on it (measured on 1M forecasts).
CREATE INDEX idx_forecasts_conditional_on ON forecasts(conditional_on) WHERE conditional_on IS NOT NULL;

CREATE TABLE forecast_authors (
    forecast_id TEXT NOT NULL REFERENCES forecasts(id),
    author_id TEXT NOT NULL REFERENCES authors(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (forecast_id, author_id)
);
CREATE INDEX idx_forecast_authors_author ON forecast_authors(author_id);

-- ---------------------------------------------------------------- outcomes

-- Outcomes are a log: resolving, correcting and un-resolving each add a row, and triggers
-- refuse UPDATE and DELETE, so no earlier record can be lost, even by a stray SQL client.
CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY,
    question_id TEXT NOT NULL REFERENCES questions(id),
    action TEXT NOT NULL CHECK (action IN ('resolve', 'correct', 'unresolve')),
    outcome TEXT CHECK ((action = 'unresolve') = (outcome IS NULL)),
    resolved_on TEXT,
    recorded_by TEXT,
    recorded_at TEXT,
    note TEXT,
    source TEXT NOT NULL
);
CREATE INDEX idx_outcomes_question ON outcomes(question_id, id);

CREATE TRIGGER outcomes_no_update BEFORE UPDATE ON outcomes
BEGIN SELECT RAISE(ABORT, 'outcomes are append-only: record a correction instead'); END;
CREATE TRIGGER outcomes_no_delete BEFORE DELETE ON outcomes
BEGIN SELECT RAISE(ABORT, 'outcomes are append-only: record an un-resolve instead'); END;
-- yes / no / annulled for a yes-no question; one of its options, or annulled, otherwise
CREATE TRIGGER outcomes_fit_the_question BEFORE INSERT ON outcomes
WHEN NEW.outcome IS NOT NULL AND NEW.outcome != 'annulled' AND (
    CASE (SELECT kind FROM questions WHERE id = NEW.question_id)
        WHEN 'multiple_choice' THEN NOT EXISTS (
            SELECT 1 FROM questions q, json_each(q.options) o
            WHERE q.id = NEW.question_id AND o.value = NEW.outcome)
        ELSE NEW.outcome NOT IN ('yes', 'no')
    END)
BEGIN SELECT RAISE(ABORT, 'outcome does not fit the question: yes, no or annulled, or one of a multiple-choice question''s options'); END;

CREATE TABLE outcome_evidence (
    id INTEGER PRIMARY KEY,
    outcome_id INTEGER NOT NULL REFERENCES outcomes(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    summary TEXT
);
CREATE INDEX idx_outcome_evidence_outcome ON outcome_evidence(outcome_id);
CREATE TRIGGER outcome_evidence_no_update BEFORE UPDATE ON outcome_evidence
BEGIN SELECT RAISE(ABORT, 'outcome evidence is append-only'); END;
CREATE TRIGGER outcome_evidence_no_delete BEFORE DELETE ON outcome_evidence
BEGIN SELECT RAISE(ABORT, 'outcome evidence is append-only'); END;

-- The outcome in force: the latest log row per question, unless that row un-resolved it.
CREATE VIEW current_outcomes AS
SELECT o.question_id, o.outcome, o.resolved_on, o.recorded_by, o.recorded_at, o.note,
       o.action, o.id AS outcome_id
FROM outcomes o
WHERE o.id = (SELECT max(o2.id) FROM outcomes o2 WHERE o2.question_id = o.question_id)
  AND o.action != 'unresolve';

-- Every outcome record ever made, oldest first, with its evidence.
CREATE VIEW outcome_history AS
SELECT o.id, o.question_id, o.action, o.outcome, o.resolved_on, o.recorded_by,
       o.recorded_at, o.source, o.note,
       (SELECT group_concat(e.url, ' ') FROM
           (SELECT url FROM outcome_evidence WHERE outcome_id = o.id ORDER BY position) e
       ) AS evidence
FROM outcomes o
ORDER BY o.question_id, o.id;

-- ---------------------------------------------------------------- imports

-- Which file was imported when, with what effect: lets `tracker serve` see which record files
-- changed since they were last imported.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL
);
CREATE INDEX idx_imports_path ON imports(path, id);

-- ---------------------------------------------------------------- full-text search

-- FTS5 indexes kept in sync by triggers, written out as sqlite-utils' enable_fts(...,
-- create_triggers=True) writes them. sqlite-utils' transform() drops triggers, so it must never
-- be used on documents or questions (re-create these triggers if it ever is).
CREATE VIRTUAL TABLE [documents_fts] USING FTS5 ([title], [text], content=[documents]);
CREATE TRIGGER [documents_ai] AFTER INSERT ON [documents] BEGIN
    INSERT INTO [documents_fts] (rowid, [title], [text]) VALUES (new.rowid, new.[title], new.[text]);
END;
CREATE TRIGGER [documents_ad] AFTER DELETE ON [documents] BEGIN
    INSERT INTO [documents_fts] ([documents_fts], rowid, [title], [text]) VALUES ('delete', old.rowid, old.[title], old.[text]);
END;
CREATE TRIGGER [documents_au] AFTER UPDATE ON [documents] BEGIN
    INSERT INTO [documents_fts] ([documents_fts], rowid, [title], [text]) VALUES ('delete', old.rowid, old.[title], old.[text]);
    INSERT INTO [documents_fts] (rowid, [title], [text]) VALUES (new.rowid, new.[title], new.[text]);
END;

CREATE VIRTUAL TABLE [questions_fts] USING FTS5 ([title], [criteria], content=[questions]);
CREATE TRIGGER [questions_ai] AFTER INSERT ON [questions] BEGIN
    INSERT INTO [questions_fts] (rowid, [title], [criteria]) VALUES (new.rowid, new.[title], new.[criteria]);
END;
CREATE TRIGGER [questions_ad] AFTER DELETE ON [questions] BEGIN
    INSERT INTO [questions_fts] ([questions_fts], rowid, [title], [criteria]) VALUES ('delete', old.rowid, old.[title], old.[criteria]);
END;
CREATE TRIGGER [questions_au] AFTER UPDATE ON [questions] BEGIN
    INSERT INTO [questions_fts] ([questions_fts], rowid, [title], [criteria]) VALUES ('delete', old.rowid, old.[title], old.[criteria]);
    INSERT INTO [questions_fts] (rowid, [title], [criteria]) VALUES (new.rowid, new.[title], new.[criteria]);
END;

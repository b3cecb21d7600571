"""The schema, as an ordered list of small named steps (sqlite-utils 4 `Migrations`).

`open_db` applies whatever is pending every time a command opens the database. Never edit a step
that has shipped: add a new one. Views are plain SQL so that any SQLite client can read them.
"""

from __future__ import annotations

import sqlite3
import time

from tracker.ledger.sqlite_utils_lean import Database, Migrations

migrations = Migrations("tracker")


def _script(db: Database, sql: str) -> None:
    """Run several statements inside the caller's transaction (sqlite3's executescript would
    commit first, so a failing step could leave half a schema behind)."""
    statement = ""
    for part in sql.split(";"):
        statement += part + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                db.execute(statement)
            statement = ""


@migrations()
def m001_people_and_documents(db: Database) -> None:
    _script(db, 
        """
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
        """
    )


@migrations()
def m002_questions_and_forecasts(db: Database) -> None:
    _script(db, 
        """
        CREATE TABLE questions (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            criteria TEXT,
            resolve_by TEXT,
            topics TEXT NOT NULL DEFAULT '[]',
            note TEXT
        );
        CREATE TABLE forecasts (
            id TEXT PRIMARY KEY,
            question_id TEXT NOT NULL REFERENCES questions(id),
            document_id TEXT REFERENCES documents(id),
            made_on TEXT NOT NULL,
            probability REAL NOT NULL CHECK (probability >= 0 AND probability <= 1),
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
            note TEXT
        );
        CREATE INDEX idx_forecasts_question ON forecasts(question_id);
        CREATE INDEX idx_forecasts_document ON forecasts(document_id);
        CREATE TABLE forecast_authors (
            forecast_id TEXT NOT NULL REFERENCES forecasts(id),
            author_id TEXT NOT NULL REFERENCES authors(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (forecast_id, author_id)
        );
        CREATE INDEX idx_forecast_authors_author ON forecast_authors(author_id);
        """
    )


@migrations()
def m003_append_only_outcomes(db: Database) -> None:
    # Outcomes are a log: resolving, correcting and un-resolving each add a row, and triggers
    # refuse UPDATE and DELETE, so no earlier record can be lost, even by a stray SQL client.
    _script(db, 
        """
        CREATE TABLE outcomes (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL REFERENCES questions(id),
            action TEXT NOT NULL CHECK (action IN ('resolve', 'correct', 'unresolve')),
            outcome TEXT CHECK (
                (action = 'unresolve' AND outcome IS NULL)
                OR (action != 'unresolve' AND outcome IN ('yes', 'no', 'annulled'))
            ),
            resolved_on TEXT,
            recorded_by TEXT,
            recorded_at TEXT,
            note TEXT,
            source TEXT NOT NULL
        );
        CREATE INDEX idx_outcomes_question ON outcomes(question_id, id);
        CREATE TABLE outcome_evidence (
            id INTEGER PRIMARY KEY,
            outcome_id INTEGER NOT NULL REFERENCES outcomes(id),
            position INTEGER NOT NULL,
            url TEXT NOT NULL,
            summary TEXT
        );
        CREATE INDEX idx_outcome_evidence_outcome ON outcome_evidence(outcome_id);
        CREATE TRIGGER outcomes_no_update BEFORE UPDATE ON outcomes
        BEGIN SELECT RAISE(ABORT, 'outcomes are append-only: record a correction instead'); END;
        CREATE TRIGGER outcomes_no_delete BEFORE DELETE ON outcomes
        BEGIN SELECT RAISE(ABORT, 'outcomes are append-only: record an un-resolve instead'); END;
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
        """
    )


@migrations()
def m004_score_tables(db: Database) -> None:
    # Scores are derived, never typed in: tracker.scores.board rewrites these rows inside the same
    # transaction as every write that changes a forecast or an outcome.
    _script(db, 
        """
        CREATE TABLE forecast_scores (
            forecast_id TEXT PRIMARY KEY REFERENCES forecasts(id),
            question_id TEXT NOT NULL REFERENCES questions(id),
            outcome TEXT NOT NULL,
            probability REAL NOT NULL,
            brier REAL NOT NULL,
            log_score REAL NOT NULL,
            log_clipped INTEGER NOT NULL
        );
        CREATE INDEX idx_forecast_scores_question ON forecast_scores(question_id);
        """
    )
    for table, key, ref in (
        ("author_scores", "author_id", "authors(id)"),
        ("document_scores", "document_id", "documents(id)"),
        ("question_scores", "question_id", "questions(id)"),
        ("topic_scores", "topic", None),
    ):
        references = f" REFERENCES {ref}" if ref else ""
        db.execute(
            f"""
            CREATE TABLE {table} (
                {key} TEXT PRIMARY KEY{references},
                n INTEGER NOT NULL,
                brier REAL,
                brier_ci_low REAL,
                brier_ci_high REAL,
                log_score REAL,
                log_clipped_n INTEGER NOT NULL
            )
            """
        )


@migrations()
def m005_import_log(db: Database) -> None:
    # Lets `tracker serve` see which record files changed since they were last imported.
    _script(db, 
        """
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
        """
    )


@migrations()
def m006_ledger_views(db: Database) -> None:
    _script(db, 
        """
        -- One row per forecast with everything a reader needs beside it.
        CREATE VIEW forecast_ledger AS
        SELECT f.id, f.question_id, q.title AS question,
               (SELECT group_concat(a.name, '; ') FROM
                   (SELECT a.name FROM forecast_authors fa JOIN authors a ON a.id = fa.author_id
                    WHERE fa.forecast_id = f.id ORDER BY fa.position) a) AS authors,
               f.document_id, f.made_on, q.resolve_by, f.probability, f.interval_low,
               f.interval_high, f.method, f.scale, f.phrase, f.quote,
               co.outcome, co.resolved_on, s.brier, s.log_score
        FROM forecasts f
        JOIN questions q ON q.id = f.question_id
        LEFT JOIN current_outcomes co ON co.question_id = f.question_id
        LEFT JOIN forecast_scores s ON s.forecast_id = f.id;

        -- Every outcome record ever made, oldest first, with its evidence.
        CREATE VIEW outcome_history AS
        SELECT o.id, o.question_id, o.action, o.outcome, o.resolved_on, o.recorded_by,
               o.recorded_at, o.source, o.note,
               (SELECT group_concat(e.url, ' ') FROM
                   (SELECT url FROM outcome_evidence WHERE outcome_id = o.id ORDER BY position) e
               ) AS evidence
        FROM outcomes o
        ORDER BY o.question_id, o.id;
        """
    )


#: The summary columns every group score table carries (see tracker.scores.rules.summary_from_sums).
#: Brier on 0..1, brier_gj the two-category form on 0..2, log in nats (and bits), spherical
#: (higher is better), skill scores against always-50 % and against the group's base rate.
SUMMARY_COLUMNS = """
    n INTEGER NOT NULL,
    brier REAL, brier_ci_low REAL, brier_ci_high REAL,
    brier_gj REAL, brier_gj_ci_low REAL, brier_gj_ci_high REAL,
    log_score REAL, log_score_ci_low REAL, log_score_ci_high REAL, log_score_bits REAL,
    log_clipped_n INTEGER NOT NULL,
    spherical REAL, spherical_ci_low REAL, spherical_ci_high REAL,
    base_rate REAL,
    skill_vs_chance REAL, skill_vs_chance_ci_low REAL, skill_vs_chance_ci_high REAL,
    skill_vs_climatology REAL, skill_vs_climatology_ci_low REAL, skill_vs_climatology_ci_high REAL
"""


@migrations()
def m007_research_scores(db: Database) -> None:
    # Score tables are derived, so widening them is drop-and-recreate; open_db rebuilds their
    # rows after any migration.
    for column, kind in (("brier_gj", "REAL"), ("log_score_bits", "REAL"), ("spherical", "REAL"),
                         ("baseline_score", "REAL"), ("horizon_days", "INTEGER"), ("horizon_bucket", "TEXT")):
        db.execute(f"ALTER TABLE forecast_scores ADD COLUMN {column} {kind}")
    for table in ("author_scores", "document_scores", "question_scores", "topic_scores"):
        db.execute(f"DROP TABLE {table}")
    extra_author = """,
        tw_n INTEGER, tw_brier REAL, tw_brier_ci_low REAL, tw_brier_ci_high REAL,
        peer_n INTEGER, peer_score REAL, peer_score_ci_low REAL, peer_score_ci_high REAL"""
    for table, key, ref, extra in (
        ("author_scores", "author_id", "authors(id)", extra_author),
        ("document_scores", "document_id", "documents(id)", ""),
        ("question_scores", "question_id", "questions(id)", ""),
        ("topic_scores", "topic", None, ""),
        ("horizon_scores", "horizon_bucket", None, ""),
    ):
        references = f" REFERENCES {ref}" if ref else ""
        db.execute(f"CREATE TABLE {table} ({key} TEXT PRIMARY KEY{references}, {SUMMARY_COLUMNS}{extra})")
    _script(db, 
        """
        CREATE TABLE calibration_bins (
            scope TEXT NOT NULL,          -- all, author, document, topic or horizon
            key TEXT NOT NULL,            -- the author id, document id, topic or bucket ('all' for all)
            bins INTEGER NOT NULL,
            bin INTEGER NOT NULL,
            lower REAL NOT NULL, upper REAL NOT NULL,
            n INTEGER NOT NULL, mean_forecast REAL NOT NULL, observed REAL NOT NULL,
            ci_low REAL NOT NULL, ci_high REAL NOT NULL,
            PRIMARY KEY (scope, key, bins, bin)
        );
        CREATE TABLE calibration_summary (
            scope TEXT NOT NULL, key TEXT NOT NULL, bins INTEGER NOT NULL,
            n INTEGER NOT NULL, brier REAL NOT NULL,
            reliability REAL, resolution REAL, uncertainty REAL,
            within_bin_variance REAL, within_bin_covariance REAL,
            yates_var_y REAL, yates_min_var_f REAL, yates_scatter REAL, yates_bias REAL,
            yates_bias_squared REAL, yates_covariance REAL,
            auc REAL,
            PRIMARY KEY (scope, key, bins)
        );
        CREATE TABLE time_weighted_scores (
            author_id TEXT NOT NULL REFERENCES authors(id),
            question_id TEXT NOT NULL REFERENCES questions(id),
            forecasts INTEGER NOT NULL,
            first_made_on TEXT NOT NULL,
            end_on TEXT NOT NULL,
            days INTEGER NOT NULL,
            brier REAL NOT NULL,
            PRIMARY KEY (author_id, question_id)
        );
        CREATE TABLE peer_scores (
            question_id TEXT NOT NULL REFERENCES questions(id),
            author_id TEXT NOT NULL REFERENCES authors(id),
            forecast_id TEXT NOT NULL REFERENCES forecasts(id),
            p_outcome REAL NOT NULL,
            peer_score REAL NOT NULL,
            PRIMARY KEY (question_id, author_id)
        );
        CREATE TABLE adjusted_scores (
            author_id TEXT PRIMARY KEY REFERENCES authors(id),
            n INTEGER NOT NULL,
            questions INTEGER NOT NULL,
            brier REAL NOT NULL,
            adjusted_brier REAL NOT NULL,
            adjusted_ci_low REAL, adjusted_ci_high REAL
        );
        CREATE TABLE sensitivity_scores (
            author_id TEXT PRIMARY KEY REFERENCES authors(id),
            n INTEGER NOT NULL,
            brier REAL NOT NULL,
            brier_all_low REAL, brier_all_high REAL,
            brier_best REAL, brier_worst REAL,
            brier_scales_min REAL, brier_scales_max REAL,
            scales TEXT NOT NULL DEFAULT '[]',
            rank INTEGER NOT NULL, rank_best INTEGER NOT NULL, rank_worst INTEGER NOT NULL,
            rank_survives INTEGER NOT NULL,
            scenarios INTEGER NOT NULL
        );
        """
    )


FORECAST_LEDGER_VIEW = """
CREATE VIEW forecast_ledger AS
SELECT f.id, f.question_id, q.title AS question,
       (SELECT group_concat(a.name, '; ') FROM
           (SELECT a.name FROM forecast_authors fa JOIN authors a ON a.id = fa.author_id
            WHERE fa.forecast_id = f.id ORDER BY fa.position) a) AS authors,
       f.document_id, f.made_on, q.resolve_by, f.probability, f.probabilities, f.interval_low,
       f.interval_high, f.method, f.scale, f.phrase, f.quote,
       co.outcome, co.resolved_on, s.brier, m.brier_multi,
       coalesce(s.log_score, m.log_score) AS log_score
FROM forecasts f
JOIN questions q ON q.id = f.question_id
LEFT JOIN current_outcomes co ON co.question_id = f.question_id
LEFT JOIN forecast_scores s ON s.forecast_id = f.id
LEFT JOIN multiple_choice_scores m ON m.forecast_id = f.id
"""


@migrations(transactional=False)
def m008_multiple_choice(db: Database) -> None:
    # A multiple-choice question has options; a forecast on it holds a distribution over them
    # (JSON) instead of one probability, and its outcome names the option that happened.
    # SQLite cannot relax NOT NULL or CHECK in place, so forecasts and outcomes are rebuilt, by
    # SQLite's documented procedure: foreign keys off, one transaction, a foreign-key check, on.
    # The views are dropped first and the outcome log's triggers re-created (a rebuild loses them).
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            _multiple_choice_schema(db)
            problems = db.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise sqlite3.IntegrityError(f"m008_multiple_choice: foreign keys broken: {problems[:3]}")
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def _multiple_choice_schema(db: Database) -> None:
    for view in ("forecast_ledger", "outcome_history", "current_outcomes"):
        db.execute(f"DROP VIEW {view}")
    db.execute("""ALTER TABLE questions ADD COLUMN kind TEXT NOT NULL DEFAULT 'binary'
                  CHECK (kind IN ('binary', 'multiple_choice'))""")
    db.execute("ALTER TABLE questions ADD COLUMN options TEXT")
    columns = ("id, question_id, document_id, made_on, probability, interval_low, interval_high, method, "
               "scale, scale_version, phrase, quote, quote_offset, location, reasoning, coded_by, "
               "conditional_on, note")
    _script(db, f"""
        CREATE TABLE forecasts_new (
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
        INSERT INTO forecasts_new ({columns}) SELECT {columns} FROM forecasts;
        DROP TABLE forecasts;
        ALTER TABLE forecasts_new RENAME TO forecasts;
        CREATE INDEX idx_forecasts_question ON forecasts(question_id);
        CREATE INDEX idx_forecasts_document ON forecasts(document_id);

        CREATE TABLE outcomes_new (
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
        INSERT INTO outcomes_new SELECT * FROM outcomes;
        DROP TABLE outcomes;
        ALTER TABLE outcomes_new RENAME TO outcomes;
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

        CREATE TABLE multiple_choice_scores (
            forecast_id TEXT PRIMARY KEY REFERENCES forecasts(id),
            question_id TEXT NOT NULL REFERENCES questions(id),
            outcome TEXT NOT NULL,
            p_outcome REAL NOT NULL,
            brier_multi REAL NOT NULL,
            log_score REAL NOT NULL,
            log_clipped INTEGER NOT NULL
        );
        CREATE INDEX idx_multiple_choice_scores_question ON multiple_choice_scores(question_id);
        ALTER TABLE author_scores ADD COLUMN mc_n INTEGER;
        ALTER TABLE author_scores ADD COLUMN mc_brier REAL;
        ALTER TABLE author_scores ADD COLUMN mc_brier_ci_low REAL;
        ALTER TABLE author_scores ADD COLUMN mc_brier_ci_high REAL;
        ALTER TABLE author_scores ADD COLUMN mc_log_score REAL;

        CREATE VIEW current_outcomes AS
        SELECT o.question_id, o.outcome, o.resolved_on, o.recorded_by, o.recorded_at, o.note,
               o.action, o.id AS outcome_id
        FROM outcomes o
        WHERE o.id = (SELECT max(o2.id) FROM outcomes o2 WHERE o2.question_id = o.question_id)
          AND o.action != 'unresolve';
        CREATE VIEW outcome_history AS
        SELECT o.id, o.question_id, o.action, o.outcome, o.resolved_on, o.recorded_by,
               o.recorded_at, o.source, o.note,
               (SELECT group_concat(e.url, ' ') FROM
                   (SELECT url FROM outcome_evidence WHERE outcome_id = o.id ORDER BY position) e
               ) AS evidence
        FROM outcomes o
        ORDER BY o.question_id, o.id;
    """)
    db.execute(FORECAST_LEDGER_VIEW)


@migrations()
def m010_document_versions(db: Database) -> None:
    # Every text a document has had, oldest first, each version linked to the one it replaces.
    # Triggers on documents keep it complete however the row is written (record import,
    # `tracker document add`, any SQL client): a new SHA-256 appends a version, and text
    # supplied later for the same bytes fills in the current version.
    _script(db, """
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
        INSERT INTO document_versions (document_id, version, sha256, text, recorded_at, source)
        SELECT id, 1, sha256, text, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'existing' FROM documents;

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
    """)


@migrations()
def m011_full_text_search(db: Database) -> None:
    # FTS5 indexes kept in sync by triggers. sqlite-utils' transform() drops triggers, so it must
    # never be used on documents or questions (re-create the triggers if it ever is).
    # Written out as sqlite-utils' enable_fts(..., create_triggers=True) writes it, because that
    # runs a script, which would commit in the middle of this step.
    for table, columns in (("documents", ("title", "text")), ("questions", ("title", "criteria"))):
        cols = ", ".join(f"[{c}]" for c in columns)
        new = ", ".join(f"new.[{c}]" for c in columns)
        old = ", ".join(f"old.[{c}]" for c in columns)
        _script(db, f"""
            CREATE VIRTUAL TABLE [{table}_fts] USING FTS5 ({cols}, content=[{table}]);
            INSERT INTO [{table}_fts] (rowid, {cols}) SELECT rowid, {cols} FROM [{table}];
            CREATE TRIGGER [{table}_ai] AFTER INSERT ON [{table}] BEGIN
                INSERT INTO [{table}_fts] (rowid, {cols}) VALUES (new.rowid, {new});
            END;
            CREATE TRIGGER [{table}_ad] AFTER DELETE ON [{table}] BEGIN
                INSERT INTO [{table}_fts] ([{table}_fts], rowid, {cols}) VALUES ('delete', old.rowid, {old});
            END;
            CREATE TRIGGER [{table}_au] AFTER UPDATE ON [{table}] BEGIN
                INSERT INTO [{table}_fts] ([{table}_fts], rowid, {cols}) VALUES ('delete', old.rowid, {old});
                INSERT INTO [{table}_fts] (rowid, {cols}) VALUES (new.rowid, {new});
            END;
        """)


@migrations()
def m012_audit_trail(db: Database) -> None:
    # Every change to the ledger's own tables, through sqlite-history-json's triggers, starting
    # from a snapshot of what is there. A later step that rebuilds one of these tables (or runs
    # sqlite-utils' transform, which drops triggers) must call enable_tracking for it again.
    from sqlite_history_json import enable_tracking

    from tracker.ledger.audit import AUDITED

    for table in AUDITED:
        enable_tracking(db.conn, table)
    parts = []
    for table in AUDITED:
        pks = [r[1] for r in db.execute(f"pragma table_info([{table}])").fetchall() if r[5]]
        key = " || '/' || ".join(f"a.[pk_{c}]" for c in pks)
        parts.append(f"""SELECT '{table}' AS table_name, {key} AS record, a.id AS change, a.timestamp AS at,
               a.operation, a.updated_values AS new_values, json_extract(g.note, '$.by') AS by,
               json_extract(g.note, '$.command') AS command, json_extract(g.note, '$.note') AS note
        FROM [_history_json_{table}] a LEFT JOIN _history_json g ON g.id = a.[group]""")
    db.execute("CREATE VIEW change_log AS\n" + "\nUNION ALL\n".join(parts))


@migrations()
def m013_ledger_facets(db: Database) -> None:
    # Readers facet the ledger by author, publisher, topic, outcome and year: the same view with
    # the authors as a JSON array, the document's publisher, the question's topics and the year.
    db.execute("DROP VIEW forecast_ledger")
    db.execute("""
        CREATE VIEW forecast_ledger AS
        SELECT f.id, f.question_id, q.title AS question,
               (SELECT group_concat(a.name, '; ') FROM
                   (SELECT a.name FROM forecast_authors fa JOIN authors a ON a.id = fa.author_id
                    WHERE fa.forecast_id = f.id ORDER BY fa.position) a) AS authors,
               (SELECT json_group_array(a.name) FROM
                   (SELECT a.name FROM forecast_authors fa JOIN authors a ON a.id = fa.author_id
                    WHERE fa.forecast_id = f.id ORDER BY fa.position) a) AS author_list,
               f.document_id, d.publisher, f.made_on, substr(f.made_on, 1, 4) AS year, q.resolve_by,
               q.topics, f.probability, f.probabilities, f.interval_low, f.interval_high, f.method,
               f.scale, f.phrase, f.quote, co.outcome, co.resolved_on, s.brier, m.brier_multi,
               coalesce(s.log_score, m.log_score) AS log_score
        FROM forecasts f
        JOIN questions q ON q.id = f.question_id
        LEFT JOIN documents d ON d.id = f.document_id
        LEFT JOIN current_outcomes co ON co.question_id = f.question_id
        LEFT JOIN forecast_scores s ON s.forecast_id = f.id
        LEFT JOIN multiple_choice_scores m ON m.forecast_id = f.id
    """)


@migrations()
def m014_incremental_scores(db: Database) -> None:
    # Groups keep exact sums instead of being re-read on every write (tracker.scores.board). A score
    # row records the groups and readings it was counted under, so a write can take its terms out
    # of exactly the groups they went into. The rows are rebuilt after this step (see migrate).
    for table, column, kind in (
        ("forecast_scores", "author_ids", "TEXT NOT NULL DEFAULT '[]'"),
        ("forecast_scores", "document_id", "TEXT"),
        ("forecast_scores", "topics", "TEXT NOT NULL DEFAULT '[]'"),
        ("forecast_scores", "p_low", "REAL"),
        ("forecast_scores", "p_high", "REAL"),
        ("forecast_scores", "readings", "TEXT"),
        ("multiple_choice_scores", "author_ids", "TEXT NOT NULL DEFAULT '[]'"),
    ):
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    db.execute("DROP TABLE sensitivity_scores")
    _script(db,
        """
        CREATE TABLE score_sums (
            scope TEXT NOT NULL,      -- all, author, document, topic or horizon
            key TEXT NOT NULL,
            sums TEXT NOT NULL,       -- JSON: exact sums in tracker.scores.sums's packed form
            PRIMARY KEY (scope, key)
        );
        CREATE TABLE auc_counts (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            probability REAL NOT NULL,
            events INTEGER NOT NULL,
            non_events INTEGER NOT NULL,
            PRIMARY KEY (scope, key, probability)
        );
        CREATE TABLE sensitivity_scenarios (
            author_id TEXT NOT NULL REFERENCES authors(id),
            scenario TEXT NOT NULL,   -- recorded, all_low, all_high, best, worst or scale:<name>
            n INTEGER NOT NULL,
            covered INTEGER,          -- for scale:<name>, how many of the author's forecasts it reads
            brier REAL NOT NULL,
            PRIMARY KEY (author_id, scenario)
        );
        CREATE TABLE board_fits (
            board TEXT PRIMARY KEY,
            fitted_at TEXT NOT NULL,
            pairs INTEGER NOT NULL,
            stale_writes INTEGER NOT NULL
        );
        """
    )
    # Found by counting SQLite's steps for one outcome: without it, re-scoring one question
    # read every author's time-weighted rows (its key starts with the author).
    db.execute("CREATE INDEX idx_time_weighted_scores_question ON time_weighted_scores(question_id)")
    db.execute(SENSITIVITY_VIEW)


@migrations()
def m015_indexes_from_query_plans(db: Database) -> None:
    # From the query plans of a forecast's row page on a ledger of 1M forecasts: Datasette counts
    # the rows that link to the forecast, and these two counts read whole tables (54 and 99 ms a
    # page; with the indexes the page's p50 went from 168 to 13 ms).
    db.execute("CREATE INDEX idx_peer_scores_forecast ON peer_scores(forecast_id)")
    db.execute("CREATE INDEX idx_forecasts_conditional_on ON forecasts(conditional_on) "
               "WHERE conditional_on IS NOT NULL")


@migrations()
def m016_auc_counts_without_rowid(db: Database) -> None:
    # One outcome re-derives the AUC of every group it touches from the counts per forecast value
    # (about 2,000 rows for a question on a 1M ledger). Keyed by its primary key, the table reads
    # those rows in place instead of through the index and then the rowid: 3.3 ms to 0.5 ms.
    _script(db, """
        CREATE TABLE auc_counts_new (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            probability REAL NOT NULL,
            events INTEGER NOT NULL,
            non_events INTEGER NOT NULL,
            PRIMARY KEY (scope, key, probability)
        ) WITHOUT ROWID;
        INSERT INTO auc_counts_new SELECT scope, key, probability, events, non_events FROM auc_counts;
        DROP TABLE auc_counts;
        ALTER TABLE auc_counts_new RENAME TO auc_counts;
        """)


@migrations()
def m017_audit_group_indexes(db: Database) -> None:
    # A write that changes nothing drops its empty change group, and every audit table's `group`
    # column refers to it: with foreign keys on, SQLite looked for referring rows by reading all
    # eight tables (0.2 s for a refused `resolve` on a 1M ledger, and on every unchanged re-import).
    for table in ("authors", "documents", "document_authors", "questions", "forecasts", "forecast_authors",
                  "outcomes", "outcome_evidence"):
        db.execute(f"CREATE INDEX [_history_json_{table}_group] ON [_history_json_{table}] ([group])")


#: Ranks move for everyone when one author's Brier moves, so they are taken at read time, in SQL,
#: from the stored per-author scenario means: competition ranks (ties share the better rank) in
#: each scenario that compares authors (as recorded, all low, all high, and each scale that reads
#: at least one scored phrase; an author none of whose phrases a scale reads keeps the recorded
#: Brier in that scenario).
SENSITIVITY_VIEW = """
CREATE VIEW sensitivity_scores AS
WITH recorded AS (
    SELECT author_id, n, brier FROM sensitivity_scenarios WHERE scenario = 'recorded'
), live AS (
    SELECT DISTINCT scenario FROM sensitivity_scenarios WHERE scenario LIKE 'scale:%'
), compared AS (
    SELECT author_id, scenario, brier FROM sensitivity_scenarios
    WHERE scenario IN ('recorded', 'all_low', 'all_high')
    UNION ALL
    SELECT r.author_id, l.scenario, coalesce(s.brier, r.brier)
    FROM recorded r CROSS JOIN live l
    LEFT JOIN sensitivity_scenarios s ON s.author_id = r.author_id AND s.scenario = l.scenario
), ranked AS (
    SELECT author_id, scenario, brier, rank() OVER (PARTITION BY scenario ORDER BY brier) AS rank
    FROM compared
), per_author AS (
    SELECT author_id,
           max(CASE WHEN scenario = 'all_low' THEN brier END) AS brier_all_low,
           max(CASE WHEN scenario = 'all_high' THEN brier END) AS brier_all_high,
           min(CASE WHEN scenario LIKE 'scale:%' THEN brier END) AS brier_scales_min,
           max(CASE WHEN scenario LIKE 'scale:%' THEN brier END) AS brier_scales_max,
           max(CASE WHEN scenario = 'recorded' THEN rank END) AS rank,
           min(rank) AS rank_best, max(rank) AS rank_worst, count(*) AS scenarios
    FROM ranked GROUP BY author_id
)
SELECT r.author_id, r.n, r.brier, p.brier_all_low, p.brier_all_high,
       (SELECT brier FROM sensitivity_scenarios b WHERE b.author_id = r.author_id AND b.scenario = 'best')
           AS brier_best,
       (SELECT brier FROM sensitivity_scenarios w WHERE w.author_id = r.author_id AND w.scenario = 'worst')
           AS brier_worst,
       p.brier_scales_min, p.brier_scales_max,
       (SELECT json_group_array(substr(scenario, 7)) FROM (
            SELECT scenario FROM sensitivity_scenarios c
            WHERE c.author_id = r.author_id AND c.scenario LIKE 'scale:%' ORDER BY scenario)) AS scales,
       p.rank, p.rank_best, p.rank_worst, p.rank_best = p.rank_worst AS rank_survives, p.scenarios
FROM recorded r JOIN per_author p ON p.author_id = r.author_id
"""


def migrate(db: Database) -> None:
    """Apply every pending step; a no-op on an up-to-date database.

    Score tables are derived data, so after any schema change they are rebuilt from the ledger
    in the same breath, whatever the step did to them.
    """
    if not migrations.pending(db):
        return
    for attempt in range(50):
        try:
            migrations.apply(db)
            break
        except sqlite3.OperationalError:
            # Two commands opening a new database at once both find the steps pending; the one
            # that loses a step's race fails it and rolls it back. Wait for the other to finish.
            if not migrations.pending(db):
                return
            if attempt == 49:
                raise
            time.sleep(0.1)
    from tracker.scores import board

    with db.atomic():
        board.refresh(db)


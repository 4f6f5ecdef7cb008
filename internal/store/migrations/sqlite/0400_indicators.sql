-- Indicators: the change feed the record areas write to, the engine's
-- persisted snapshot, the versioned catalogue (indicators, measures,
-- dimensions, return forms) and communes' aggregate returns.
-- Times are BIGINT milliseconds; dates INTEGER yyyymmdd.

-- The change feed: a row in the same transaction as any change to an
-- entity whose facts the indicators count (facts.Touch). Every instance
-- polls it by seq and asks the entity's source for its facts again.
CREATE TABLE indicator_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused, even after pruning
    source TEXT NOT NULL,                    -- children, hotline, cases, abused, returns, …
    entity BIGINT NOT NULL,                  -- the entity's key in its source
    at BIGINT NOT NULL
);
CREATE INDEX indicator_changes_at ON indicator_changes (at);

-- The engine's roll-ups as of a feed position, so that a starting instance
-- answers at once while it loads the facts.
CREATE TABLE indicator_snapshots (
    id INTEGER PRIMARY KEY,                  -- 1
    watermark BIGINT NOT NULL,               -- feed position the roll-ups include
    built_at BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,               -- of the measures and dimensions it was built with
    data BLOB NOT NULL                      -- compressed roll-ups
);

-- The catalogue as data (DESIGN principle 7): dimensions, measures,
-- indicators and return forms, each a JSON document. A change closes the
-- current version (valid_to) and adds the next.
CREATE TABLE indicator_defs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                      -- dimension, measure, indicator, form
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,                      -- JSON
    valid_from BIGINT NOT NULL,
    valid_to BIGINT NOT NULL DEFAULT 0,      -- 0: the current version
    changed_by BIGINT NOT NULL DEFAULT 0,
    changed_by_name TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, code, version)
);
CREATE INDEX indicator_defs_current ON indicator_defs (kind, valid_to);

-- Aggregate returns: one per form, commune and period. A return entered
-- for a period before July 2025 may name the commune by its old code
-- (old_unit), mapped to today's units when counted.
CREATE TABLE returns (
    id INTEGER PRIMARY KEY,
    form TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    commune_code TEXT NOT NULL,
    old_unit BOOLEAN NOT NULL DEFAULT FALSE,
    province_code TEXT NOT NULL,             -- current province (of the mapped commune), for scope
    period TEXT NOT NULL,                    -- 2026, 2026Q1
    period_start INTEGER NOT NULL,
    period_end INTEGER NOT NULL,
    due_on INTEGER NOT NULL,
    status TEXT NOT NULL,                    -- draft, submitted, province_approved, approved
    commune_class TEXT NOT NULL DEFAULT '',  -- child-friendly scoring: urban, other, difficult
    version INTEGER NOT NULL DEFAULT 1,
    first_submitted_at BIGINT NOT NULL DEFAULT 0,
    submitted_at BIGINT NOT NULL DEFAULT 0,
    on_time BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT NOT NULL DEFAULT 0,
    UNIQUE (form, commune_code, old_unit, period)
);
CREATE INDEX returns_scope ON returns (province_code, period, form);
CREATE INDEX returns_status ON returns (status, period_start);

CREATE TABLE return_values (
    return_id BIGINT NOT NULL REFERENCES returns (id),
    field TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (return_id, field)
);

CREATE TABLE return_events (
    id INTEGER PRIMARY KEY,
    return_id BIGINT NOT NULL REFERENCES returns (id),
    action TEXT NOT NULL,                    -- save, submit, approve, reopen
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    at BIGINT NOT NULL,
    by_id BIGINT NOT NULL DEFAULT 0,
    by_name TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX return_events_return ON return_events (return_id, id);

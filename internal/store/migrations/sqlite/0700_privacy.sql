-- Personal data (Nghị định 13/2023/NĐ-CP on the protection of personal
-- data): the legal basis of each child's record and consent where it is
-- the basis, versioned; erasures (anonymisations) with who, why and when.

-- A child whose personal data have been anonymised: the row stays, with
-- the coarse fields statistics use, so that indicators do not change.
ALTER TABLE children ADD COLUMN anonymised_at BIGINT NOT NULL DEFAULT 0;

-- The legal basis for processing a child's data, one row per version: a
-- new version is a new row, the newest is in force. given_by is the
-- person who consented (a parent or carer, or the child from age 7 under
-- the Law on Children, Điều 33), sealed.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    subject_type TEXT NOT NULL,             -- child
    subject_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    basis TEXT NOT NULL,                    -- legal_obligation, vital_interest, consent, public_task
    given_by BLOB,                          -- sealed name of who consented (basis consent)
    relation TEXT NOT NULL DEFAULT '',      -- their relation to the child (child_options 'relation', or child)
    given_on INTEGER NOT NULL DEFAULT 0,    -- yyyymmdd
    scope TEXT NOT NULL DEFAULT '',         -- purposes consented to, comma-separated
    withdrawn BOOLEAN NOT NULL DEFAULT FALSE, -- this version withdraws consent
    recorded_by BIGINT NOT NULL DEFAULT 0,
    recorded_by_name TEXT NOT NULL DEFAULT '',
    recorded_at BIGINT NOT NULL,
    UNIQUE (subject_type, subject_id, version)
);

-- Erasures: a record anonymised on request or by the retention rules.
CREATE TABLE erasures (
    id INTEGER PRIMARY KEY,
    subject_type TEXT NOT NULL,             -- child, or what a retention target names
    subject_id BIGINT NOT NULL,
    reason TEXT NOT NULL,                   -- request, retention, purpose_ended, unlawful
    note BLOB,                              -- sealed free text
    by_id BIGINT NOT NULL DEFAULT 0,
    by_name TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL,
    UNIQUE (subject_type, subject_id)
);
CREATE INDEX erasures_at ON erasures (at);

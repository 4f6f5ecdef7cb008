-- Foundation: accounts, sessions, API tokens, the audit log, settings.
-- Times are BIGINT milliseconds since the Unix epoch; 0 means none.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    unit_code TEXT NOT NULL DEFAULT '',      -- '' national, 2 digits province, 5 digits commune
    province_code TEXT NOT NULL DEFAULT '',  -- the province of unit_code, for scoping lists
    password_hash TEXT NOT NULL,
    password_changed_at BIGINT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    totp_secret BLOB,                        -- sealed with the field key
    totp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step BIGINT NOT NULL DEFAULT 0, -- a code is accepted once
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    lang TEXT NOT NULL DEFAULT 'vi',
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    updated_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_scope ON users (province_code, unit_code);

CREATE TABLE sessions (
    id_hash BLOB PRIMARY KEY,               -- SHA-256 of the cookie value; the value itself is never stored
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,                    -- 'active', or 'mfa' while the second factor is awaited
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    client_addr TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    pending BLOB                             -- sealed data of an unfinished step (TOTP enrolment)
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- The audit log: append-only, one hash chain per lane. actor_id has no
-- foreign key on purpose: the log outlives the accounts it names.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    chain INTEGER NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT NOT NULL DEFAULT 0,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    unit TEXT NOT NULL,
    action TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    UNIQUE (chain, seq)
);
CREATE INDEX audit_at ON audit_log (at);
CREATE INDEX audit_actor ON audit_log (actor_id, at);
CREATE INDEX audit_record ON audit_log (record_type, record_id);
CREATE INDEX audit_action ON audit_log (action, at);

CREATE TABLE audit_head (
    chain INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash BLOB NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Small named values an instance keeps (for example the demo marker).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

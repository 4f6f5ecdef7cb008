-- Hotline 111: contacts from every channel, the reference data that gives
-- them meaning (versioned), telephony events, Zalo deliveries and messages,
-- public reports, referrals and blocks.
-- Times are BIGINT milliseconds since the epoch; dates INTEGER yyyymmdd.

-- Reference data an admin can edit: contact reasons (a two-level tree),
-- contact types, channels, actions and urgencies. A change never updates a
-- row in place: the current version is closed (valid_to) and a new one
-- added, and contacts keep the id of the version they were recorded with.
CREATE TABLE hotline_refs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                      -- reason, contact_type, channel, action, urgency
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    parent_code TEXT NOT NULL DEFAULT '',    -- reasons: the level-1 code of a level-2 reason
    label_vi TEXT NOT NULL,
    label_en TEXT NOT NULL,
    data_contact BOOLEAN NOT NULL DEFAULT FALSE, -- contact types: a data contact is profiled
    sort INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE,    -- offered on new contacts
    valid_from BIGINT NOT NULL,
    valid_to BIGINT NOT NULL DEFAULT 0,      -- 0: the current version
    created_by BIGINT NOT NULL DEFAULT 0,
    UNIQUE (kind, code, version)
);
CREATE INDEX hotline_refs_current ON hotline_refs (kind, valid_to, sort);

-- Contact numbers 111-YYYY-NNNNNNN: one counter row a year, incremented in
-- the transaction that creates the contact (the row lock serialises
-- instances on PostgreSQL).
CREATE TABLE hotline_counters (
    year INTEGER PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,                   -- phone, zalo, web, app, email, walk_in
    state TEXT NOT NULL,                     -- waiting, active, closed, missed, blocked
    outcome TEXT NOT NULL DEFAULT '',        -- phone: answered, missed, abandoned
    started_at BIGINT NOT NULL,
    queued_at BIGINT NOT NULL DEFAULT 0,     -- when it entered the queue (ordering)
    answered_at BIGINT NOT NULL DEFAULT 0,
    ended_at BIGINT NOT NULL DEFAULT 0,
    wait_ms BIGINT NOT NULL DEFAULT 0,
    talk_ms BIGINT NOT NULL DEFAULT 0,
    counsellor_id BIGINT,                    -- users.id
    type_ref BIGINT,                         -- hotline_refs.id of the contact type's version
    type_code TEXT NOT NULL DEFAULT '',
    urgency TEXT NOT NULL DEFAULT '',        -- emergency, high, medium, low
    urgency_rank INTEGER NOT NULL DEFAULT 9, -- 0 emergency … 3 low, 9 not assessed
    caller_kind TEXT NOT NULL DEFAULT '',    -- child, adult
    caller_relation TEXT NOT NULL DEFAULT '',
    caller_age_band TEXT NOT NULL DEFAULT '',
    caller_sex TEXT NOT NULL DEFAULT '',
    caller_commune TEXT NOT NULL DEFAULT '',
    caller_name BLOB,                        -- sealed
    caller_phone BLOB,                       -- sealed
    caller_hash BLOB,                        -- keyed hash of the phone or the Zalo user: repeat callers
    zalo_user TEXT NOT NULL DEFAULT '',      -- the Zalo user id of a Zalo conversation
    summary BLOB,                            -- sealed
    actions TEXT NOT NULL DEFAULT '',        -- action codes, comma-separated
    follow_up_on INTEGER NOT NULL DEFAULT 0,
    complete BOOLEAN NOT NULL DEFAULT FALSE, -- the wrap-up is finished
    province_code TEXT NOT NULL DEFAULT '',  -- province of the child's (else the caller's) commune
    referred_province TEXT NOT NULL DEFAULT '', -- province of the latest referral
    call_id TEXT UNIQUE,                     -- telephony
    recording BLOB,                          -- sealed recording URL
    tracking_hash BLOB UNIQUE,               -- public reports: keyed hash of the tracking code
    reporter BLOB,                           -- sealed reporter details (public reports)
    created_by BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_started ON contacts (started_at, id);
CREATE INDEX contacts_channel ON contacts (channel, started_at, id);
CREATE INDEX contacts_counsellor ON contacts (counsellor_id, started_at, id);
CREATE INDEX contacts_caller ON contacts (caller_hash, started_at);
CREATE INDEX contacts_queue ON contacts (state, urgency_rank, queued_at);
CREATE INDEX contacts_zalo ON contacts (zalo_user, state);
CREATE INDEX contacts_province ON contacts (province_code, started_at, id);
CREATE INDEX contacts_referred ON contacts (referred_province, started_at, id);

-- The children a contact is about: a registry child (child_id; the
-- registry's table lands with its own area, hence no foreign key) or a
-- description.
CREATE TABLE contact_children (
    id INTEGER PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    child_id BIGINT,
    name TEXT NOT NULL DEFAULT '',
    age INTEGER NOT NULL DEFAULT -1,
    sex TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL DEFAULT ''
);
CREATE INDEX contact_children_contact ON contact_children (contact_id);
CREATE INDEX contact_children_child ON contact_children (child_id);

-- Reasons of a contact (several), with the version they were recorded with.
CREATE TABLE contact_reasons (
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    ref_id BIGINT NOT NULL REFERENCES hotline_refs (id),
    code TEXT NOT NULL,
    top_code TEXT NOT NULL,                  -- the level-1 code (the code itself for a level-1 reason)
    started_at BIGINT NOT NULL,
    PRIMARY KEY (contact_id, code)
);
CREATE INDEX contact_reasons_code ON contact_reasons (code, started_at, contact_id);
CREATE INDEX contact_reasons_top ON contact_reasons (top_code, started_at, contact_id);

-- Search tokens: folded (no diacritics, lower case) words of the caller's
-- and the children's names: every set of up to four words of one name, sorted.
CREATE TABLE contact_words (
    word TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (word, started_at, contact_id)
);
CREATE INDEX contact_words_contact ON contact_words (contact_id);

-- Telephony: one row per call (locks the call's events together), and each
-- event once.
CREATE TABLE hotline_calls (
    call_id TEXT PRIMARY KEY,
    contact_id BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE TABLE hotline_call_events (
    call_id TEXT NOT NULL,
    event TEXT NOT NULL,                     -- ringing, answered, ended, missed, recording_ready
    at BIGINT NOT NULL,
    caller BLOB,                             -- sealed
    extension TEXT NOT NULL DEFAULT '',
    recording BLOB,                          -- sealed
    received_at BIGINT NOT NULL,
    PRIMARY KEY (call_id, event)
);

-- A counsellor's telephone extension (hot desks: set at the start of a shift).
CREATE TABLE hotline_extensions (
    extension TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    updated_at BIGINT NOT NULL
);

-- Zalo: one row per Zalo user, pointing at their open conversation (the
-- contact). Its row lock keeps two messages of one user from opening two.
CREATE TABLE zalo_conversations (
    zalo_user TEXT PRIMARY KEY,
    contact_id BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- Zalo OA: every verified delivery, once (unique on msg_id), processed by a job.
CREATE TABLE zalo_deliveries (
    id INTEGER PRIMARY KEY,
    msg_key TEXT NOT NULL UNIQUE,            -- message.msg_id, or event:sender:timestamp
    event_name TEXT NOT NULL,
    body BLOB NOT NULL,                      -- sealed raw JSON
    received_at BIGINT NOT NULL,
    processed_at BIGINT NOT NULL DEFAULT 0
);

-- Messages of a conversation (Zalo in and out).
CREATE TABLE hotline_messages (
    id INTEGER PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    direction TEXT NOT NULL,                 -- in, out
    msg_id TEXT UNIQUE,                      -- Zalo's id (in), or Zalo's answer (out)
    kind TEXT NOT NULL,                      -- text, image, file, location, sticker, event
    body BLOB,                               -- sealed text
    author_id BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT '',         -- out: queued, sent, failed
    error TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE INDEX hotline_messages_contact ON hotline_messages (contact_id, at);

CREATE TABLE hotline_attachments (
    id INTEGER PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES hotline_messages (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL,
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,                      -- image, file
    mime TEXT NOT NULL DEFAULT '',
    size BIGINT NOT NULL DEFAULT 0,
    name TEXT NOT NULL DEFAULT '',
    data BLOB,                               -- sealed content
    state TEXT NOT NULL,                     -- stored, refused, failed
    created_at BIGINT NOT NULL,
    UNIQUE (message_id, idx)
);
CREATE INDEX hotline_attachments_contact ON hotline_attachments (contact_id);

-- The OA's tokens: one row. The refresh token is single-use: the new one
-- is written here before the new access token is used.
CREATE TABLE zalo_tokens (
    id INTEGER PRIMARY KEY,
    access_token BLOB,
    access_expires_at BIGINT NOT NULL DEFAULT 0,
    refresh_token BLOB,
    refresh_expires_at BIGINT NOT NULL DEFAULT 0,
    refreshing_until BIGINT NOT NULL DEFAULT 0, -- a lease: one instance refreshes at a time
    updated_at BIGINT NOT NULL
);

-- Referrals of a contact to a commune (the case area turns them into cases).
CREATE TABLE hotline_referrals (
    id INTEGER PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT 'commune',  -- commune, province, police, health
    note BLOB,                               -- sealed
    state TEXT NOT NULL DEFAULT 'open',      -- open, accepted (by the case area)
    case_id BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX hotline_referrals_contact ON hotline_referrals (contact_id);
CREATE INDEX hotline_referrals_commune ON hotline_referrals (province_code, commune_code, created_at);

-- Abusive callers blocked for a while (by phone or Zalo user hash).
CREATE TABLE hotline_blocks (
    id INTEGER PRIMARY KEY,
    caller_hash BLOB NOT NULL,
    until_at BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    contact_id BIGINT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    lifted_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX hotline_blocks_caller ON hotline_blocks (caller_hash, until_at);

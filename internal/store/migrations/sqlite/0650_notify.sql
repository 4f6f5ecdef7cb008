-- In-app notifications and the e-mail outbox (package notify).
-- A notification names its message by a kind and JSON arguments (a case
-- number, a deadline), rendered in the reader's language; it never holds
-- personal data of a child.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    args TEXT NOT NULL DEFAULT '{}',
    link TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT UNIQUE,          -- the same event notifies a user once
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- One row per e-mail, written in the transaction of the event; the job
-- notify.mail (unique key mail:ID) delivers it and sets sent_at.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    notification_id BIGINT,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE, -- the same on every attempt: receivers drop a repeat
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_unsent ON mail_outbox (created_at) WHERE sent_at IS NULL;

-- Referrals to services (issue 5, part 4): the directory of service
-- providers by unit with their contact points, the accounts of providers'
-- staff, the referrals of a case's child to a provider, and the case's
-- attachments (part 5). Times are BIGINT ms; dates INTEGER yyyymmdd.

CREATE TABLE providers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,                -- health, police, legal_aid, shelter, school, social_work, other
    unit TEXT NOT NULL,                -- the province (2 digits) or commune (5) it serves
    province TEXT NOT NULL,            -- the province of unit
    address TEXT NOT NULL DEFAULT '',
    services TEXT NOT NULL DEFAULT '', -- what it offers, free text
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX providers_province ON providers (province, active, kind);

-- Contact points of a provider (an institution's desks: not personal data).
CREATE TABLE provider_contacts (
    id INTEGER PRIMARY KEY,
    provider_id BIGINT NOT NULL REFERENCES providers (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    hours TEXT NOT NULL DEFAULT ''
);
CREATE INDEX provider_contacts_provider ON provider_contacts (provider_id, position);

-- Accounts of role provider work for one provider each.
CREATE TABLE provider_users (
    user_id BIGINT PRIMARY KEY,
    provider_id BIGINT NOT NULL REFERENCES providers (id),
    linked_at BIGINT NOT NULL,
    linked_by BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX provider_users_provider ON provider_users (provider_id);

CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL,
    child_id BIGINT NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES providers (id),
    commune TEXT NOT NULL,             -- the case's, for scope
    province TEXT NOT NULL,
    service TEXT NOT NULL,             -- child_options 'support_kind'
    state TEXT NOT NULL,               -- requested, accepted, declined, delivered, done
    note BLOB,                         -- sealed: what the provider is asked to do
    response BLOB,                     -- sealed: the provider's answer (why declined)
    delivered_on INTEGER NOT NULL DEFAULT 0,
    delivery_note BLOB,                -- sealed: what was delivered
    support_id BIGINT NOT NULL DEFAULT 0, -- the help recorded on the child's registry record
    version INTEGER NOT NULL DEFAULT 1,
    requested_by BIGINT NOT NULL DEFAULT 0,
    requested_by_name TEXT NOT NULL DEFAULT '',
    requested_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX referrals_case ON referrals (case_id, id);
CREATE INDEX referrals_provider ON referrals (provider_id, state, id);

-- Attachments of a case: photos and scanned letters, sealed.
CREATE TABLE case_attachments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL,
    name BLOB,                         -- sealed: the file's name may name the child
    mime TEXT NOT NULL,                -- sniffed: image/jpeg, image/png, image/webp, application/pdf
    size BIGINT NOT NULL,
    data BLOB NOT NULL,                -- sealed
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    created_by_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_attachments_case ON case_attachments (case_id, id);

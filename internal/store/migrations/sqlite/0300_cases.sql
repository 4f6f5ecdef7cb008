-- Case management (Luật Trẻ em 2016 Điều 47–52; Nghị định 56/2017/NĐ-CP
-- Điều 26–32): cases, the children and reports in them, incidents, the
-- workflow's steps and deadlines, assessments (Mẫu 02/03), emergency
-- measures (Mẫu 07), plans and their approval (Mẫu 04/05), reviews
-- (Mẫu 06), the timeline, break-glass access and the holiday calendar.
-- Times are BIGINT milliseconds; dates INTEGER yyyymmdd. Sealed columns
-- (BLOB) are listed in cases.SealedColumns.

-- Case numbers CCCCC-YYYY-NNNNNN: one counter row per commune and year,
-- incremented in the transaction that creates the case.
CREATE TABLE case_counters (
    commune TEXT NOT NULL,
    year INTEGER NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (commune, year)
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    commune TEXT NOT NULL,
    province TEXT NOT NULL,
    step TEXT NOT NULL,                    -- received … closed, transferred (cases.Steps)
    step_at BIGINT NOT NULL,               -- when the case entered its step
    risk TEXT NOT NULL DEFAULT '',         -- high, medium, low, '' not assessed
    source TEXT NOT NULL,                  -- DOMAIN.md report sources
    summary BLOB,                          -- sealed
    abuse_forms TEXT NOT NULL DEFAULT '',  -- DOMAIN.md codes, comma-separated
    assigned_to BIGINT,                    -- users.id of the responsible officer
    confidential INTEGER NOT NULL DEFAULT 0, -- 1: sexual abuse, names masked
    perpetrator BLOB,                      -- sealed JSON: the alleged perpetrator (restricted)
    transfer_to TEXT NOT NULL DEFAULT '',  -- a commune asked to take the case over
    transfer_from TEXT NOT NULL DEFAULT '',-- the commune it came from
    close_reason TEXT NOT NULL DEFAULT '', -- a code (cases.CloseReasons)
    version INTEGER NOT NULL DEFAULT 1,
    received_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX cases_commune ON cases (commune, received_at);
CREATE INDEX cases_province ON cases (province, received_at);
CREATE INDEX cases_step ON cases (step, received_at);
-- Open cases (the lists' usual filter) by unit.
CREATE INDEX cases_open_commune ON cases (commune, received_at) WHERE step <> 'closed' AND step <> 'transferred';
CREATE INDEX cases_open_province ON cases (province, received_at) WHERE step <> 'closed' AND step <> 'transferred';
CREATE INDEX cases_assigned ON cases (assigned_to, step) WHERE assigned_to IS NOT NULL;
CREATE INDEX cases_transfer ON cases (transfer_to) WHERE transfer_to <> '';
CREATE INDEX cases_received ON cases (received_at, id);

CREATE TABLE case_children (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    child_id BIGINT NOT NULL,              -- children.id
    PRIMARY KEY (case_id, child_id)
);
CREATE INDEX case_children_child ON case_children (child_id);

-- Workers assigned to a case besides the responsible officer.
CREATE TABLE case_workers (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    user_id BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_workers_user ON case_workers (user_id);

-- Reports that opened or joined the case (Mẫu số 01): a hotline contact,
-- or a report entered by the commune, police, a school, …
CREATE TABLE case_reports (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    source TEXT NOT NULL,
    contact_id BIGINT,                     -- contacts.id when from the hotline
    received_at BIGINT NOT NULL,
    data BLOB,                             -- sealed JSON: reporter, content, … (Mẫu 01 fields)
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX case_reports_case ON case_reports (case_id);
CREATE INDEX case_reports_contact ON case_reports (contact_id) WHERE contact_id IS NOT NULL;

CREATE TABLE case_incidents (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    form TEXT NOT NULL,                    -- abuse form code
    occurred_on INTEGER NOT NULL DEFAULT 0,
    setting TEXT NOT NULL DEFAULT '',      -- home, school, online, community, workplace
    data BLOB,                             -- sealed JSON: place, description
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX case_incidents_case ON case_incidents (case_id);

-- The steps a case went through, with when; the reason is on the event.
CREATE TABLE case_steps (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    step TEXT NOT NULL,
    entered_at BIGINT NOT NULL,
    left_at BIGINT,
    by_id BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX case_steps_case ON case_steps (case_id, id);

-- What is due and when. The deadline scanner (notify) reads open rows by
-- due_at and marks reminders and escalations. commune, province and
-- assigned_to copy the case's so overdue lists read one index.
CREATE TABLE case_deadlines (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    what TEXT NOT NULL,                    -- emergency, plan, approval, …
    step TEXT NOT NULL DEFAULT '',         -- the step it belongs to
    due_at BIGINT NOT NULL,
    done_at BIGINT,
    reminded_at BIGINT,
    escalation INTEGER NOT NULL DEFAULT 0, -- 0 none, 1 supervisor, 2 province
    commune TEXT NOT NULL DEFAULT '',
    province TEXT NOT NULL DEFAULT '',
    assigned_to BIGINT,
    created_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX case_deadlines_case ON case_deadlines (case_id);
-- Open deadlines by due time, overall and per assignee, commune and
-- province: the deadline scanner and the overdue lists read only these
-- (covering, partial) indexes.
CREATE INDEX case_deadlines_open ON case_deadlines (due_at, case_id) WHERE done_at IS NULL;
CREATE INDEX case_deadlines_user ON case_deadlines (assigned_to, due_at, case_id) WHERE done_at IS NULL;
CREATE INDEX case_deadlines_commune ON case_deadlines (commune, due_at, case_id) WHERE done_at IS NULL;
CREATE INDEX case_deadlines_province ON case_deadlines (province, due_at, case_id) WHERE done_at IS NULL;

-- The one timeline of a case. detail is JSON without personal data (ids,
-- codes); secret is sealed JSON for free text (reasons, notes).
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor_name TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    secret BLOB,
    version INTEGER NOT NULL DEFAULT 0     -- the case version the event made (0: none)
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- Assessments: initial (Mẫu 02) and detailed (Mẫu 03), with risk factors
-- scored high / medium / low.
CREATE TABLE case_assessments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,                    -- initial, detailed
    risk TEXT NOT NULL,
    factors TEXT NOT NULL DEFAULT '{}',    -- JSON {factor: level}
    data BLOB,                             -- sealed JSON: findings, needs, …
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    created_by_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_assessments_case ON case_assessments (case_id, id);

-- Emergency measures and temporary separation decisions (Mẫu 07).
CREATE TABLE case_emergencies (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    measure TEXT NOT NULL,                 -- cases.EmergencyMeasures
    decided_at BIGINT NOT NULL,
    data BLOB,                             -- sealed JSON: decision number, decided by, place, …
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    created_by_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_emergencies_case ON case_emergencies (case_id);

-- Support and intervention plans (Mẫu 04) and their approval (Mẫu 05).
CREATE TABLE case_plans (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,                  -- 1 for the first plan of the case, …
    state TEXT NOT NULL,                   -- draft, submitted, approved, rejected, superseded
    data BLOB,                             -- sealed JSON: goals, measures (who, org, from, to)
    decision BLOB,                         -- sealed JSON: the approval decision (Mẫu 05)
    starts_on INTEGER NOT NULL DEFAULT 0,
    ends_on INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    created_by_name TEXT NOT NULL DEFAULT '',
    submitted_at BIGINT,
    submitted_by BIGINT,
    decided_at BIGINT,
    decided_by BIGINT,
    decided_by_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_plans_case ON case_plans (case_id, seq);

-- Reviews (Mẫu 06): close the case or plan again.
CREATE TABLE case_reviews (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    plan_id BIGINT,
    outcome TEXT NOT NULL,                 -- close, replan, continue
    data BLOB,                             -- sealed JSON: findings
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    created_by_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_reviews_case ON case_reviews (case_id, id);

-- Break-glass: opening a case outside one's assignment, with the reason.
-- Supervisors (the commune's officers, the province) see the list.
CREATE TABLE case_access (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    user_id BIGINT NOT NULL,
    user_name TEXT NOT NULL DEFAULT '',
    commune TEXT NOT NULL,
    province TEXT NOT NULL,
    reason BLOB,                           -- sealed
    at BIGINT NOT NULL,
    until_at BIGINT NOT NULL               -- the access lasts until then
);
CREATE INDEX case_access_case ON case_access (case_id, user_id, until_at);
CREATE INDEX case_access_commune ON case_access (commune, at);
CREATE INDEX case_access_province ON case_access (province, at);

-- Public holidays and swapped days, as data (DESIGN principle 7).
-- working = FALSE: a day off (a holiday, or a weekday given as a bridge);
-- working = TRUE: a weekend day worked in exchange (làm bù).
CREATE TABLE holidays (
    day INTEGER PRIMARY KEY,               -- yyyymmdd
    working BOOLEAN NOT NULL DEFAULT FALSE,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    confirmed BOOLEAN NOT NULL DEFAULT TRUE, -- FALSE: not yet officially announced
    updated_at BIGINT NOT NULL DEFAULT 0,
    updated_by BIGINT NOT NULL DEFAULT 0
);

-- Deadline rules per step (DOMAIN.md "The case procedure"), editable.
-- hours counts clock hours from received_at; working_days counts working
-- days from entering the step (the day itself not counted).
CREATE TABLE case_deadline_rules (
    what TEXT PRIMARY KEY,
    step TEXT NOT NULL,
    hours INTEGER NOT NULL DEFAULT 0,
    working_days INTEGER NOT NULL DEFAULT 0,
    confirmed BOOLEAN NOT NULL DEFAULT TRUE,
    note TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO case_deadline_rules (what, step, hours, working_days, confirmed, note) VALUES
    ('emergency', 'emergency', 12, 0, TRUE, 'Nghị định 56/2017 Điều 31–32: emergency measure within 12 hours of receiving the report'),
    ('plan', 'planning', 0, 5, TRUE, 'Nghị định 56/2017 Điều 28: plan drafted within 5 working days'),
    ('approval', 'plan_approval', 0, 3, FALSE, 'UNCONFIRMED: approval deadline, configurable');

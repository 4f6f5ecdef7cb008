-- The deadline scanner (package notify) reads open deadlines not yet
-- escalated to the province, by due time: a partial index holds only
-- those (a few days' worth), not every open deadline.
CREATE INDEX case_deadlines_scan ON case_deadlines (due_at, id) WHERE done_at IS NULL AND escalation < 2;

-- When a closed case's personal content was erased by the retention rule
-- (package privacy); NULL while it is whole.
ALTER TABLE cases ADD COLUMN anonymised_at BIGINT;
CREATE INDEX cases_closed_retention ON cases (closed_at) WHERE step = 'closed' AND anonymised_at IS NULL;

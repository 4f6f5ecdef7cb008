-- The day (Vietnam time, yyyymmdd) a case's report was received: the date
-- the indicators count a case on (cases.FactSources).
ALTER TABLE cases ADD COLUMN received_on INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_received_on ON cases (received_on);

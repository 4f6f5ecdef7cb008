-- The day (yyyymmdd, Vietnam time) a contact started and a referral was
-- made, as the indicators count them; the verifier groups by them.
-- Vietnam has kept UTC+7 without summer time since 1975.
ALTER TABLE contacts ADD COLUMN started_on INTEGER NOT NULL DEFAULT 0;
UPDATE contacts SET started_on = CAST(strftime('%Y%m%d', (started_at + 25200000) / 1000, 'unixepoch') AS INTEGER);
ALTER TABLE hotline_referrals ADD COLUMN created_on INTEGER NOT NULL DEFAULT 0;
UPDATE hotline_referrals SET created_on = CAST(strftime('%Y%m%d', (created_at + 25200000) / 1000, 'unixepoch') AS INTEGER);

-- Whether children were helped in a year (each list page asks it for its
-- children, a list filtered by "helped" for every child in scope) is
-- answered child by child. With supports_delivered alone a page read the
-- whole year's delivered supports: SQLite, without statistics, preferred
-- its status and date range to the handful of children.
CREATE INDEX supports_child_status ON supports (child_id, status, given_on);

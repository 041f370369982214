-- What a check came to when it was paid (net, tax by rate, discounts, service charge, total),
-- as JSON: the X and Z reports add these up, so a tax rate, a price or the service rule changed
-- later leaves the day's figures as they were. NULL: not paid yet. One small row per paid check
-- (~800 a day), read by the day's reports.
ALTER TABLE checks ADD COLUMN amounts TEXT;

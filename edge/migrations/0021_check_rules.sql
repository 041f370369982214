-- The tax rules a split check was split under (prices include tax or not, tax rounding), as
-- JSON: its parts are paid one by one, maybe across a change of the store's rules, and each must
-- still be its share of the same whole (its service charge is kept in `service_bp`). NULL: the
-- store's rules as they are (every check not split). One small value per split check.
ALTER TABLE checks ADD COLUMN rules TEXT;

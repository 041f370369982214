-- A percent discount a manager approved (above the store's limit) takes off at most what it came
-- to when approved: lines that join its check later (a merge, a move, the table's next order)
-- pay their price, not the comp's percent. NULL: no cap (within the limit, anyone may give it).
ALTER TABLE check_discounts ADD COLUMN cap INTEGER;

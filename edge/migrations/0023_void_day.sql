-- The business day a line was voided on: the day's reports count a void on the day it was made,
-- not on its order's day, so a table's order left open over the Z and voided later (that night
-- or the next day) no longer changes the closed day's figures. Lines voided before this counted
-- on their order's day, and keep to it. A void is a few lines a day: the index holds only them.
ALTER TABLE order_lines ADD COLUMN void_day TEXT;
UPDATE order_lines SET void_day = (SELECT o.business_day FROM orders o WHERE o.id = order_id)
    WHERE state = 'voided';
CREATE INDEX order_lines_void_day ON order_lines (void_day) WHERE void_day IS NOT NULL;

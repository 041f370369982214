-- A print job keeps the neutral document it was rendered from (printers.codec JSON), so a job
-- rerouted to a printer of another profile (a 58 mm backup) is rendered again for that printer.
-- NULL for jobs with nothing to re-render: drawer pulses, and jobs queued before this version,
-- which keep their bytes.

ALTER TABLE print_jobs ADD COLUMN document TEXT;

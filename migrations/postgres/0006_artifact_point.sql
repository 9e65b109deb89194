-- Each artifact names the trade-off point it belongs to (NULL for a file of the whole run:
-- calibration table and cache, sensitivity ranking) and, for an exported model or engine,
-- its batch size (`1`, `32`, `dynamic`), so that clients need not parse file names.

ALTER TABLE artifact ADD COLUMN point TEXT;
ALTER TABLE artifact ADD COLUMN batch_size TEXT;

-- Artifacts stored before: the point from the job that made them.
UPDATE artifact SET point = (
    SELECT job.label FROM job
    WHERE job.job_id = artifact.job_id AND job.kind NOT IN ('calibrate', 'sensitivity')
);

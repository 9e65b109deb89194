-- Each model's inputs and outputs with their shapes (JSON lists of `{"name", "shape"}`), and
-- the built-in profile inferred at upload (or why none could be). Models uploaded before
-- keep empty lists and no profile.

ALTER TABLE model ADD COLUMN input_tensors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE model ADD COLUMN output_tensors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE model ADD COLUMN profile TEXT;
ALTER TABLE model ADD COLUMN profile_error TEXT;

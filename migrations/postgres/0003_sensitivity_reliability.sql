-- How far a run's sensitivity ranking can be trusted: the Spearman correlation of its rankings
-- on the even- and the odd-numbered images, and the Spearman-Brown reliability from it.

ALTER TABLE run ADD COLUMN sensitivity_split_half DOUBLE PRECISION;
ALTER TABLE run ADD COLUMN sensitivity_reliability DOUBLE PRECISION;

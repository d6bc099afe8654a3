-- 0005_letters.sql — every letter (提醒函, 督办函, 交办函) gets its number
-- (文号) when it is issued, by hand (`order issue`) or by the engine
-- (project.repeated_red): numbered per kind and per year of issue from 1,
-- with no gap and no number twice, even with two keyprojd on one database.
-- The counter is a row per kind and year, taken with INSERT … ON CONFLICT
-- DO UPDATE … RETURNING in the transaction that inserts the letter
-- (keyproj_letter_number, sql/functions/letters.sql): the row stays
-- locked until that transaction ends, and a rollback gives the number back.
--
-- Letters issued before this migration keep an empty doc_no: they went out
-- without a number, and giving them one now would print a number on a
-- reprint that the unit never received. The year's numbering starts at 1
-- with the first letter issued after the upgrade.
CREATE TABLE letter_counter (
    kind  text NOT NULL CHECK (kind IN ('reminder', 'supervision', 'assignment')),
    year  integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    last  integer NOT NULL CHECK (last > 0),     -- the last number given
    PRIMARY KEY (kind, year)
);

ALTER TABLE supervision_order
    ADD COLUMN doc_year integer NULL,            -- the year the number counts in
    ADD COLUMN doc_seq  integer NULL CHECK (doc_seq > 0),   -- its place in that year
    ADD CONSTRAINT supervision_order_doc_pair CHECK ((doc_year IS NULL) = (doc_seq IS NULL)),
    ADD CONSTRAINT supervision_order_doc_numbered CHECK (doc_seq IS NULL OR doc_no IS NOT NULL),
    ADD CONSTRAINT supervision_order_doc_year CHECK (doc_year = extract(year FROM issued_on)),
    ADD CONSTRAINT supervision_order_doc_unique UNIQUE (kind, doc_year, doc_seq);

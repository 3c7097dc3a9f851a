-- Defect 9: docs/SCHEMA.md from a database with no Atlas migrations says so (not
-- "migration None"), and a table without a comment gets no blank paragraphs.
CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL);
COMMENT ON COLUMN authors.name IS 'Shown on the book''s cover.';
CREATE TABLE books (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id), title text);
COMMENT ON TABLE books IS 'One row per edition.';

-- Defect 1: an index whose other arguments hold parentheses (a partial index's WHERE, an
-- opclass, GIN over an expression) lost its keys in tables.py: `USING gin ()`.
CREATE TABLE docs (
  id bigint PRIMARY KEY,
  title text NOT NULL,
  tags text[] NOT NULL,
  body jsonb
);
CREATE INDEX docs_title_partial ON docs (lower(title)) WHERE body IS NOT NULL;
CREATE INDEX docs_body_gin ON docs USING gin ((body -> 'a'));
CREATE INDEX docs_body_path_ops ON docs USING gin (body jsonb_path_ops);
CREATE INDEX docs_tags_gin ON docs USING gin (tags);
CREATE INDEX docs_title_desc ON docs (title DESC NULLS LAST) INCLUDE (body);
CREATE UNIQUE INDEX docs_title_lower_key ON docs (lower(title), id);

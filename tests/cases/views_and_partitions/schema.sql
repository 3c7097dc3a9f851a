-- Defect 6: views and materialized views are read-only rows (no Insert, no Update) in
-- models and Tables on views_metadata in tables.py; a partitioned table is one model and
-- its partitions are none.
CREATE TABLE docs (id bigint PRIMARY KEY, title text NOT NULL);
CREATE VIEW doc_titles AS SELECT id, title FROM docs;
CREATE MATERIALIZED VIEW doc_count AS SELECT count(*) AS n FROM docs;
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

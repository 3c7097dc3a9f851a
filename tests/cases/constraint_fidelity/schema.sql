-- Every index and constraint feature tables.py must keep (tests/test_ddl_roundtrip.py compiles
-- each back to DDL and compares it with PostgreSQL's own text), and key columns whose names
-- need quoting: a reserved word, mixed case, a space.
CREATE EXTENSION btree_gist;

CREATE TABLE "Track Points" (
  id int PRIMARY KEY,
  "position" int NOT NULL,
  "Order" text NOT NULL,
  "with space" text,
  label text COLLATE "C",
  CONSTRAINT track_points_position_order_key UNIQUE ("position", "Order"),
  CONSTRAINT track_points_with_space_key UNIQUE ("with space")
);
CREATE UNIQUE INDEX track_points_lower_label ON "Track Points" (lower(label));

CREATE TABLE parents (
  id int PRIMARY KEY,
  code text NOT NULL,
  tag text,
  slug text,
  CONSTRAINT parents_code_key UNIQUE (code),
  CONSTRAINT parents_slug_key UNIQUE (slug) DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT parents_tag_key UNIQUE NULLS NOT DISTINCT (tag) DEFERRABLE,
  CONSTRAINT parents_id_code_key UNIQUE (id) INCLUDE (code)
);

CREATE TABLE children (
  id int PRIMARY KEY,
  parent_id int NOT NULL REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED,
  parent_code text REFERENCES parents (code) ON DELETE SET NULL DEFERRABLE,
  "select" int REFERENCES "Track Points" (id) ON UPDATE CASCADE,
  note text,
  during tstzrange,
  room int,
  shape box,
  words tsvector,
  point point,
  CONSTRAINT children_note_check CHECK (note <> ''),
  CONSTRAINT children_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (room > 0),
  CONSTRAINT children_parent_during EXCLUDE USING gist (parent_id WITH =, during WITH &&) DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX children_note_nnd ON children (note) NULLS NOT DISTINCT;
CREATE INDEX children_note_c ON children (note COLLATE "C" text_pattern_ops DESC NULLS LAST);
CREATE INDEX children_lower_note_c ON children ((lower(note)) COLLATE "POSIX");
CREATE INDEX children_hash ON children USING hash (note);
CREATE INDEX children_gist ON children USING gist (shape);
CREATE INDEX children_spgist ON children USING spgist (point);
CREATE INDEX children_gin ON children USING gin (words);
CREATE INDEX children_brin ON children USING brin (id) WITH (pages_per_range = 16);
CREATE INDEX children_partial_include ON children (parent_id) INCLUDE (note) WHERE note IS NOT NULL;
CREATE INDEX "Children Quoted Index" ON children ("select", "parent_code");

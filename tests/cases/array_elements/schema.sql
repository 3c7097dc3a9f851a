-- Defect 2: PostgreSQL arrays hold NULL elements whatever the column's NOT NULL says, so
-- elements are `T | None`, at every dimension.
CREATE TABLE docs (
  id bigint PRIMARY KEY,
  tags text[] NOT NULL,
  grid integer[][],
  cube_ numeric(6, 2)[][][]
);

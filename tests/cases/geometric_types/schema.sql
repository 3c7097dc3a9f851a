-- Defect 4: the geometric types are built in, and typed values in chatmaps_db.geometry
-- (psycopg has none); tables.py names them PgType("point"), never NullType.
CREATE TABLE shapes (
  id int PRIMARY KEY,
  p point NOT NULL, l line, s lseg, b box, pa path, po polygon, c circle,
  ps point[], bs box[]
);

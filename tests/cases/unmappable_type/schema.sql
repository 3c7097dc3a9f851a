-- An extension type with no Python mapping stops generation with one line per column,
-- naming it and the fix; nothing is written.
CREATE EXTENSION cube;
CREATE TABLE boxes (id int PRIMARY KEY, size cube, sizes cube[]);

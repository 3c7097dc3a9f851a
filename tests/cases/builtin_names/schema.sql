-- Defect 3: a column named like a name the annotations use shadowed it inside its class
-- (models: `list`/`str` with a default broke the import; tables.py: `object`).
CREATE TABLE shadow (
  id int PRIMARY KEY,
  "str" text NOT NULL DEFAULT 'x', "int" int DEFAULT 1, "float" float8, "bool" boolean DEFAULT true,
  "bytes" bytea, "list" text[] DEFAULT '{}', "dict" jsonb, "object" text, "type" text,
  "Mapped" text, "Optional" text, "text" text, "Column" text, "datetime" timestamptz DEFAULT now(),
  "decimal" numeric, "uuid" uuid, "Table" text, "Index" text
);

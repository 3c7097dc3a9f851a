-- The table layer (chatmaps_db.access): keys, views, tables without a primary key, and
-- names that collide with the layer's own (a table named info, columns named limit and row).
CREATE TYPE role AS ENUM ('member', 'owner');

CREATE TABLE teams (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text NOT NULL,
    budget money,
    tags text[] NOT NULL DEFAULT '{}',
    settings jsonb NOT NULL DEFAULT '{}',
    name_length integer GENERATED ALWAYS AS (char_length(name)) STORED
);
CREATE UNIQUE INDEX teams_name_lower_key ON teams (lower(name));

CREATE TABLE members (
    team_id bigint NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
    user_name text NOT NULL,
    role role NOT NULL DEFAULT 'member',
    "limit" integer CHECK ("limit" > 0),
    PRIMARY KEY (team_id, user_name)
);

-- No primary key: list, count, insert and insert_many only.
CREATE TABLE audit_log (
    at timestamptz NOT NULL DEFAULT now(),
    team_id bigint,
    message text NOT NULL
);

CREATE TABLE info (id integer PRIMARY KEY, "row" text);

-- Every column has a default: insert_many of empty Insert models writes rows of defaults.
CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());

-- A BEFORE trigger that returns NULL skips the row: insert() and upsert() have no row to return.
CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);
CREATE FUNCTION drop_spam() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.body LIKE '%spam%' THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "no spam" BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION drop_spam();

CREATE VIEW team_sizes AS
    SELECT t.id AS team_id, t.slug, count(m.user_name) AS members
    FROM teams t LEFT JOIN members m ON m.team_id = t.id GROUP BY t.id, t.slug;
CREATE MATERIALIZED VIEW team_slugs AS SELECT id, slug FROM teams;
CREATE UNIQUE INDEX team_slugs_slug_key ON team_slugs (slug);

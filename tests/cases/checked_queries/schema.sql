-- Checked queries over a small schema: an enum, a jsonb column, a CHECK literal, a secret
-- comment, nullable and NOT NULL columns, and joins whose sides decide nullability.
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE authors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    bio text,
    mood mood NOT NULL DEFAULT 'happy',
    api_key text NOT NULL DEFAULT md5(random()::text)
);
COMMENT ON COLUMN authors.api_key IS '@secret';
CREATE TABLE books (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id bigint REFERENCES authors,
    title text NOT NULL,
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    meta jsonb,
    price numeric(8, 2)
);

-- name: GetAuthor :one
SELECT * FROM authors WHERE id = $1;

-- name: ListBooksWithAuthors :many
-- Every book, and its author when it has one.
SELECT b.id, b.title, b.status, b.meta, a.name AS author_name, a.mood, a.api_key,
       coalesce(b.price, 0) AS price, count(*) OVER () AS "total!"
FROM books b
LEFT JOIN authors a ON a.id = b.author_id
WHERE b.status = ANY(@statuses::text[]) AND (sqlc.narg(mood)::mood IS NULL OR a.mood = sqlc.narg(mood))
ORDER BY b.id
LIMIT @max_rows;

-- name: CreateBook :one
INSERT INTO books (author_id, title, meta) VALUES (@author_id, @title, @meta)
RETURNING id, title;

-- name: AddBooks :copyfrom
INSERT INTO books (author_id, title, status) VALUES ($1, $2, $3);

-- name: SetMood :execrows
UPDATE authors SET mood = @mood WHERE id = @id;

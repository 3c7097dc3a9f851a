-- Sessions: what Better Auth's session lookups and a cleanup job run.

-- name: GetSessionWithUser :one
-- The unexpired session with this token, and the user it belongs to.
SELECT s.id AS session_id, s.expires_at, s.ip_address, s.user_agent,
       u.id AS user_id, u.name, u.email, u.email_verified, u.image
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.token = @token AND s.expires_at > now();

-- name: ListUserSessions :many
-- A user's sessions, newest first (the "signed-in devices" page).
SELECT * FROM sessions WHERE user_id = @user_id ORDER BY created_at DESC;

-- name: ListUsersWithSessionCount :many
-- Every user, with how many sessions they have and when the last one expires (NULL without one).
SELECT u.id, u.email, count(s.id) AS sessions, max(s.expires_at) AS last_expires_at
FROM users u
LEFT JOIN sessions s ON s.user_id = u.id
GROUP BY u.id
ORDER BY u.email;

-- name: DeleteExpiredSessions :execrows
-- Remove sessions that expired before now; how many were removed.
DELETE FROM sessions WHERE expires_at <= now();

-- name: ListActiveSessions :many
-- Unexpired sessions with their users, soonest to expire first (an admin page; max_rows bounds it).
SELECT s.id AS session_id, s.expires_at, s.ip_address, s.user_agent, u.id AS user_id, u.name, u.email
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.expires_at > now()
ORDER BY s.expires_at, s.id
LIMIT @max_rows;

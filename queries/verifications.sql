-- Verifications: short-lived secrets (email verification, password reset).

-- name: CreateVerifications :copyfrom
-- Insert many verification rows at once, with binary COPY.
INSERT INTO verifications (identifier, value, expires_at) VALUES (@identifier, @value, @expires_at);

-- name: ConsumeVerification :one
-- Take the newest unexpired secret for an identifier, deleting it in the same statement.
DELETE FROM verifications
WHERE id = (
    SELECT id FROM verifications
    WHERE identifier = @identifier AND expires_at > now()
    ORDER BY created_at DESC
    LIMIT 1
)
RETURNING identifier, value, expires_at;

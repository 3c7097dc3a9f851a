-- Accounts: how a user signs in.

-- name: ListAccountsByProvider :many
-- A user's accounts at one provider ("credential", "github", ...).
SELECT * FROM accounts WHERE user_id = @user_id AND provider_id = @provider_id ORDER BY created_at;

-- name: UpdateAccountTokens :one
-- Store refreshed OAuth tokens; the account as stored, or None when there is no such account.
UPDATE accounts
SET access_token = @access_token, access_token_expires_at = @access_token_expires_at,
    refresh_token = sqlc.narg(refresh_token), updated_at = now()
WHERE id = @id
RETURNING *;

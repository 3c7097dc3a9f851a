// Drives the real Better Auth library against a migrated ChatMaps database and prints
// one JSON report on stdout. tests/test_better_auth.py runs it and asserts on the report.
// Usage: DATABASE_URL=postgresql://... node check.mjs
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const logged = [];

const timestamps = { createdAt: "created_at", updatedAt: "updated_at" };
const auth = betterAuth({
  database: pool,
  secret: "test-secret-that-is-long-enough-for-better-auth-0123456789",
  baseURL: "http://localhost:3000",
  telemetry: { enabled: false },
  emailAndPassword: { enabled: true },
  logger: { level: "warn", log: (level, message) => logged.push({ level, message }) },
  advanced: { database: { generateId: "uuid" } },
  user: {
    modelName: "users",
    fields: { emailVerified: "email_verified", ...timestamps },
  },
  session: {
    modelName: "sessions",
    fields: {
      userId: "user_id", expiresAt: "expires_at", ipAddress: "ip_address",
      userAgent: "user_agent", ...timestamps,
    },
  },
  account: {
    modelName: "accounts",
    fields: {
      userId: "user_id", accountId: "account_id", providerId: "provider_id",
      accessToken: "access_token", refreshToken: "refresh_token", idToken: "id_token",
      accessTokenExpiresAt: "access_token_expires_at",
      refreshTokenExpiresAt: "refresh_token_expires_at", ...timestamps,
    },
  },
  verification: {
    modelName: "verifications",
    fields: { expiresAt: "expires_at", ...timestamps },
  },
});

const report = {};
try {
  const plan = await getMigrations(auth.options);
  report.migrations = {
    toBeCreated: plan.toBeCreated.map((t) => t.table),
    toBeAdded: plan.toBeAdded.map((t) => ({ table: t.table, fields: Object.keys(t.fields) })),
    toBeAddedIndexes: plan.toBeAddedIndexes.map((i) => i.name),
    schemaProblems: plan.schemaProblems,
    unsafeChanges: plan.unsafeChanges,
  };

  const email = `Ada.${Date.now()}@Example.com`;
  const signUp = await auth.api.signUpEmail({
    body: { name: "Ada Lovelace", email, password: "correct horse battery staple" },
  });
  report.signUp = { userId: signUp.user.id, email: signUp.user.email };

  const signIn = await auth.api.signInEmail({
    body: { email, password: "correct horse battery staple" },
    returnHeaders: true,
  });
  const cookie = signIn.headers.get("set-cookie").split(";")[0];
  report.signIn = { userId: signIn.response.user.id, cookieName: cookie.split("=")[0] };

  const session = await auth.api.getSession({ headers: new Headers({ cookie }) });
  report.session = { userId: session?.user.id ?? null, sessionId: session?.session.id ?? null };
} catch (err) {
  report.error = String(err?.stack ?? err);
} finally {
  report.logged = logged;
  await pool.end();
}
console.log(JSON.stringify(report));

# Atlas project. Every URL comes from the environment, so no secret lives here:
#   DATABASE_URL   the database to migrate (local dev server, CI database, production)
#   ATLAS_DEV_URL  an empty scratch database Atlas may wipe (diff, lint, validate)
# `make` sets both for the embedded server; deployment sets DATABASE_URL itself:
#   atlas migrate apply --env prod

locals {
  migrations = "file://migrations"
}

env "local" {
  src = "file://schema.hcl"
  url = getenv("DATABASE_URL")
  dev = getenv("ATLAS_DEV_URL")
  migration {
    dir = local.migrations
  }
  # Dropping a table, column or schema fails lint unless the statement carries an
  # explicit `-- atlas:nolint destructive` opt-in (make generate ALLOW_DESTRUCTIVE=1).
  lint {
    destructive {
      error = true
    }
  }
}

env "ci" {
  src = "file://schema.hcl"
  url = getenv("DATABASE_URL")
  dev = getenv("ATLAS_DEV_URL")
  migration {
    dir = local.migrations
  }
  lint {
    destructive {
      error = true
    }
  }
}

# Deployment (docs/DEPLOY.md): DATABASE_URL is a direct connection (not PgBouncer: Atlas's
# lock is a session advisory lock). lock_timeout is how long a second deploy waits for the
# first one's migrations: longer than the longest migration, or parallel deploys fail with
# "acquiring database lock: pq: canceling statement due to user request" (Atlas's default is 10s).
env "prod" {
  url = getenv("DATABASE_URL")
  migration {
    dir          = local.migrations
    lock_timeout = "30m"
  }
  lint {
    destructive {
      error = true
    }
  }
}

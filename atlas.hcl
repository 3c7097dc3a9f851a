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
  # For `atlas migrate lint --env local` on its own (make generate and make check run the
  # project's lint, codegen/dev/lint.py). Dropping a table, column or schema fails unless the
  # statement carries `-- atlas:nolint destructive` (make generate ALLOW_DESTRUCTIVE=1).
  lint {
    destructive {
      error = true
    }
    # Also reported, not fatal in Atlas CE 0.13.1: data_depend (MF101-104), incompatible
    # (BC101-102) and concurrent_index (PG101-103); `make check` makes them errors where
    # codegen/dev/lint_rules.py says, with squawk's rules beside them.
    concurrent_index {
      check_create = true
      check_drop   = true
      check_txmode = true
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
    # Also reported, not fatal in Atlas CE 0.13.1: data_depend (MF101-104), incompatible
    # (BC101-102) and concurrent_index (PG101-103); `make check` makes them errors where
    # codegen/dev/lint_rules.py says, with squawk's rules beside them.
    concurrent_index {
      check_create = true
      check_drop   = true
      check_txmode = true
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

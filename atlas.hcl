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

env "prod" {
  url = getenv("DATABASE_URL")
  migration {
    dir = local.migrations
  }
  lint {
    destructive {
      error = true
    }
  }
}

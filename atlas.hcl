# Atlas project. Every URL comes from the environment; `make` sets them for the
# embedded servers, and deployment sets DATABASE_URL (and ATLAS_DEV_URL) itself.

locals {
  lint_rules = {
    # Dropping a table, column or schema loses data: such a migration fails lint
    # unless it carries an explicit `-- atlas:nolint destructive` opt-in.
    destructive = true
  }
}

env "local" {
  src = "file://schema.hcl"
  url = getenv("DATABASE_URL")
  dev = getenv("ATLAS_DEV_URL")
  migration {
    dir = "file://migrations"
  }
  lint {
    destructive {
      error = local.lint_rules.destructive
    }
  }
}

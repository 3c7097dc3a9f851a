"""chatmaps-db code generator: schema.hcl -> migrations -> database -> generated/."""

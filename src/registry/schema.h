#ifndef CONFLUX_REGISTRY_SCHEMA_H
#define CONFLUX_REGISTRY_SCHEMA_H

/* The registry's forward migrations (component "registry" in
 * schema_version). registry_open() applies them all; tests may apply a
 * prefix to build an old database. */

#include "lib/db.h"

extern const struct db_migration registry_migrations[];
extern const int registry_migration_count;

#endif

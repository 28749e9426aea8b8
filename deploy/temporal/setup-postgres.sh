#!/bin/sh
# Temporal's schema on PostgreSQL, run by the temporal-schema job of docker-compose.yml (admin-tools image).
# Idempotent: a database that exists already had its base schema set up by an earlier run; update-schema
# then applies only the versions it lacks (a new Temporal release).
set -eu
for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*} schema=${pair#*:}
  if temporal-sql-tool --plugin postgres12 --ep postgres -p 5432 -u "$POSTGRES_USER" --db "$db" create; then
    temporal-sql-tool --plugin postgres12 --ep postgres -p 5432 -u "$POSTGRES_USER" --db "$db" setup-schema -v 0.0
  fi
  temporal-sql-tool --plugin postgres12 --ep postgres -p 5432 -u "$POSTGRES_USER" --db "$db" \
    update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"
done
echo "temporal-schema: done"

/*
 * store/schema.c - numbered migrations. Migration i brings the schema from
 * version i to i + 1; PRAGMA user_version records the version reached.
 * Never edit a released migration: append a new one.
 */
#include "store/store_int.h"

const char *const ev__store_migrations[] = {
    /* 0 -> 1: control plane for connections and API destinations */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;"
    "CREATE TABLE kms_keys ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, key_id TEXT NOT NULL,"
    "  arn TEXT NOT NULL, state TEXT NOT NULL, description TEXT,"
    "  key_manager TEXT NOT NULL, material BLOB NOT NULL, created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (account, region, key_id)) STRICT;"
    "CREATE TABLE secrets ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL, name TEXT NOT NULL,"
    "  owning_service TEXT, kms_key_id TEXT NOT NULL, version_id TEXT NOT NULL,"
    "  wrapped_key BLOB NOT NULL, ciphertext BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL, changed_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (account, region, arn)) STRICT;"
    "CREATE UNIQUE INDEX secrets_by_name ON secrets (account, region, name);"
    "CREATE TABLE connections ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL,"
    "  description TEXT, auth_type TEXT NOT NULL, state TEXT NOT NULL, state_reason TEXT,"
    "  auth_public TEXT NOT NULL, connectivity TEXT, kms_key TEXT, secret_arn TEXT,"
    "  created_ms INTEGER NOT NULL, modified_ms INTEGER NOT NULL,"
    "  authorized_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (account, region, name)) STRICT;"
    "CREATE TABLE api_destinations ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL,"
    "  description TEXT, connection_arn TEXT NOT NULL, endpoint TEXT NOT NULL,"
    "  http_method TEXT NOT NULL, rate_limit INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL, modified_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (account, region, name)) STRICT;"
    "CREATE INDEX api_destinations_by_connection"
    "  ON api_destinations (account, region, connection_arn);"
    "CREATE TABLE tags ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, resource_arn TEXT NOT NULL,"
    "  key TEXT NOT NULL, value TEXT NOT NULL,"
    "  PRIMARY KEY (account, region, resource_arn, key)) STRICT;",
    /* 1 -> 2: customer-managed KMS keys, their policies and aliases */
    "ALTER TABLE kms_keys ADD COLUMN policy TEXT;"
    "ALTER TABLE kms_keys ADD COLUMN key_usage TEXT NOT NULL DEFAULT 'ENCRYPT_DECRYPT';"
    "ALTER TABLE kms_keys ADD COLUMN multi_region INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE kms_keys ADD COLUMN deletion_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE kms_keys ADD COLUMN pending_days INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE kms_aliases ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  key_id TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (account, region, name)) STRICT;"
    "CREATE INDEX kms_aliases_by_key ON kms_aliases (account, region, key_id);",
    /* 2 -> 3: event buses, rules, targets */
    "CREATE TABLE event_buses ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL,"
    "  description TEXT, kms_key TEXT, dead_letter TEXT, log_config TEXT, policy TEXT,"
    "  created_ms INTEGER NOT NULL, modified_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (account, region, name)) STRICT;"
    "CREATE TABLE rules ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, bus TEXT NOT NULL, name TEXT NOT NULL,"
    "  arn TEXT NOT NULL, event_pattern TEXT, schedule TEXT, state TEXT NOT NULL,"
    "  description TEXT, role_arn TEXT, managed_by TEXT, created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (account, region, bus, name)) STRICT;"
    "CREATE TABLE targets ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, bus TEXT NOT NULL, rule TEXT NOT NULL,"
    "  id TEXT NOT NULL, arn TEXT NOT NULL, body TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  PRIMARY KEY (account, region, bus, rule, id)) STRICT;"
    "CREATE INDEX targets_by_arn ON targets (account, region, bus, arn);",
    /* 3 -> 4: the outbox of delivery jobs PutEvents produces */
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,"
    "  event_id TEXT NOT NULL, bus TEXT NOT NULL, rule_arn TEXT NOT NULL,"
    "  target_id TEXT NOT NULL, target_arn TEXT NOT NULL, payload BLOB NOT NULL,"
    "  event_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL DEFAULT 'pending', claimed_ms INTEGER NOT NULL DEFAULT 0) STRICT;"
    "CREATE INDEX outbox_due ON outbox (state, due_ms);",
    /* 4 -> 5: the delivery history, one row per attempt */
    "CREATE TABLE attempts ("
    "  id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,"
    "  event_id TEXT NOT NULL, rule_arn TEXT NOT NULL, target_id TEXT NOT NULL,"
    "  target_arn TEXT NOT NULL, attempt INTEGER NOT NULL, time_ms INTEGER NOT NULL,"
    "  status INTEGER NOT NULL, outcome TEXT NOT NULL, error TEXT,"
    "  latency_ms INTEGER NOT NULL, response BLOB) STRICT;"
    "CREATE INDEX attempts_by_time ON attempts (time_ms);",
    /* 5 -> 6: SQS-compatible queues and their messages */
    "CREATE TABLE sqs_queues ("
    "  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL,"
    "  visibility_timeout INTEGER NOT NULL, retention INTEGER NOT NULL, delay INTEGER NOT NULL,"
    "  wait INTEGER NOT NULL, max_size INTEGER NOT NULL, extra TEXT,"
    "  created_ms INTEGER NOT NULL, modified_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (account, region, name)) STRICT;"
    "CREATE TABLE sqs_messages ("
    "  seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,"
    "  queue TEXT NOT NULL, message_id TEXT NOT NULL, body BLOB NOT NULL,"
    "  md5_body TEXT NOT NULL, attributes TEXT, md5_attributes TEXT, sender_id TEXT NOT NULL,"
    "  sent_ms INTEGER NOT NULL, visible_ms INTEGER NOT NULL,"
    "  receive_count INTEGER NOT NULL DEFAULT 0, first_receive_ms INTEGER NOT NULL DEFAULT 0)"
    "  STRICT;"
    "CREATE INDEX sqs_messages_visible ON sqs_messages (account, region, queue, visible_ms);"
    "CREATE INDEX sqs_messages_sent ON sqs_messages (account, region, queue, sent_ms);"
    "CREATE UNIQUE INDEX sqs_messages_by_id ON sqs_messages (account, region, queue, message_id);",
    /* 6 -> 7: jobs are read by id only (the engine holds due times in memory) */
    "DROP INDEX outbox_due;",
    /* 7 -> 8: the history as one row per outbox commit (store/attlog.h); the
     * attempts table keeps what was written before, until it is pruned */
    "CREATE TABLE attempt_log ("
    "  id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, n INTEGER NOT NULL,"
    "  recs BLOB NOT NULL) STRICT;"
    "CREATE INDEX attempt_log_by_time ON attempt_log (time_ms);",
    /* 8 -> 9: ids of finished jobs the next bulk delete removes (store/outbox.c) */
    "CREATE TABLE outbox_done (id INTEGER PRIMARY KEY, ids BLOB NOT NULL) STRICT;",
    /* 9 -> 10: the jobs of a commit as one row, ids [id, id + n), `live` of them
     * still stored (store/jobgrp.h);
     * the retry state of the jobs that have one. The outbox moves the rows of
     * `outbox` over when it opens. */
    "CREATE TABLE outbox_grp ("
    "  id INTEGER PRIMARY KEY, n INTEGER NOT NULL, live INTEGER NOT NULL,"
    "  jobs BLOB NOT NULL) STRICT;"
    "CREATE TABLE outbox_retry ("
    "  id INTEGER PRIMARY KEY, due_ms INTEGER NOT NULL, attempts INTEGER NOT NULL) STRICT;",
};

const int ev__store_n_migrations =
    (int)(sizeof(ev__store_migrations) / sizeof(ev__store_migrations[0]));

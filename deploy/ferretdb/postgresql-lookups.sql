-- Lookups by key for FerretDB 1.x on PostgreSQL.
--
-- FerretDB 1.x stores each document as one jsonb column, _jsonb, and builds every MongoDB index
-- as a btree over expressions like (_jsonb -> 'field'::text). But it pushes an equality filter
-- down as  _jsonb -> 'field' @> '<value>'  (containment), which a btree cannot answer: every
-- lookup by _id, and every filter on an indexed field, reads the whole table. A service's own
-- writes then slow down with the size of its collections (the outbox relay clears each
-- published document by _id).
--
-- This script gives each such index a twin PostgreSQL can use for those filters: a GIN index
-- (jsonb_path_ops, which answers @>) over the first key of the btree. An event trigger makes the
-- twin whenever FerretDB creates an index, and the block at the end twins the indexes that
-- already exist. Together with plan_cache_mode = force_custom_plan (FerretDB sends the field
-- name as a parameter; a generic plan cannot match it to an index expression) an _id lookup
-- costs about the same at 5,000 documents as at 300.
--
-- It touches no FerretDB table or metadata, only adds indexes, and can be run again at any time.
-- Local infrastructure (npm run infra:up) applies it at every start; deploy/OPERATIONS.md says
-- how to apply it where a municipality runs FerretDB on PostgreSQL in production.

CREATE OR REPLACE FUNCTION spor_twin_index(index_oid oid) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  method text;
  table_oid oid;
  key text;
BEGIN
  SELECT am.amname, i.indrelid INTO method, table_oid
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
   WHERE i.indexrelid = index_oid;
  IF method IS DISTINCT FROM 'btree' THEN RETURN; END IF;
  key := pg_get_indexdef(index_oid, 1, true);
  -- Only FerretDB's top-level keys: (_jsonb -> 'field'::text).
  IF key !~ '^\(_jsonb -> ''[^'']+''::text\)$' THEN RETURN; END IF;
  IF EXISTS (
    SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
     WHERE i.indrelid = table_oid AND am.amname = 'gin' AND pg_get_indexdef(i.indexrelid, 1, true) = key
  ) THEN RETURN; END IF;
  EXECUTE format('CREATE INDEX ON %s USING gin (%s jsonb_path_ops)', table_oid::regclass, key);
END
$fn$;

CREATE OR REPLACE FUNCTION spor_twin_new_indexes() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
  command record;
BEGIN
  FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' AND object_type = 'index' LOOP
    PERFORM spor_twin_index(command.objid);
  END LOOP;
END
$fn$;

DROP EVENT TRIGGER IF EXISTS spor_twin_new_indexes;
CREATE EVENT TRIGGER spor_twin_new_indexes ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION spor_twin_new_indexes();

DO $do$
DECLARE
  existing oid;
BEGIN
  FOR existing IN
    SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  LOOP
    PERFORM spor_twin_index(existing);
  END LOOP;
END
$do$;

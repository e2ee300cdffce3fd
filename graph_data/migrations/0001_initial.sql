-- showgraph schema 1: the change log, its head, and snapshots.
-- Applied by graph_data.pgstore.migrate() in one transaction, recorded in
-- schema_migrations (which the migration runner itself creates).

-- The graph version, in one row. A writer locks it (SELECT ... FOR UPDATE),
-- so writers on every replica take turns, and the next version is head + 1:
-- a rolled-back write leaves no gap, unlike a sequence would.
CREATE TABLE graph_head (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint  NOT NULL CHECK (version >= 0)
);
INSERT INTO graph_head (id, version) VALUES (true, 0);

-- Every accepted change, one row each, never updated or deleted. ``at`` is the
-- writer's own timestamp text, kept exactly as the change carries it;
-- ``committed_at`` is the database's clock. ``sources`` are the Source nodes
-- the change cites, for "what did this source contribute" queries.
CREATE TABLE changes (
    version      bigint      PRIMARY KEY CHECK (version > 0),
    writer       text        NOT NULL,
    at           text        NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now(),
    summary      text        NOT NULL DEFAULT '',
    ops          jsonb       NOT NULL CHECK (jsonb_typeof(ops) = 'array'),
    sources      text[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX changes_sources ON changes USING gin (sources);
CREATE INDEX changes_writer ON changes (writer, version);

CREATE FUNCTION showgraph_changes_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'showgraph: the changes table is append-only (% refused)', TG_OP;
END
$$;
CREATE TRIGGER changes_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION showgraph_changes_append_only();

-- The whole graph at a version: the same JSON document as the journal
-- store's snapshot.json (format showgraph-snapshot/1), stored as bytes so it
-- reads back exactly and is not limited by jsonb's size. Start-up loads the
-- newest and replays the changes after it; older ones are pruned.
CREATE TABLE snapshots (
    version  bigint      PRIMARY KEY CHECK (version >= 0),
    format   text        NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now(),
    body     bytea       NOT NULL
);

-- showgraph schema 3: history (graph_data.history).
-- Every change keeps the writer's note and what it did: ``details`` holds its
-- undo, the facts it changed (old and new values) and the links it put or
-- removed, worked out when it was made (graph_data.diffs); rows written
-- before have none (NULL), and reads as of a version stop after them.
-- ``touched`` and ``kinds`` are the nodes it touched and their kinds, for a
-- node's history and a feed of some nodes or kinds.
ALTER TABLE changes ADD COLUMN note text NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN details jsonb;
ALTER TABLE changes ADD COLUMN touched text[] NOT NULL DEFAULT '{}';
ALTER TABLE changes ADD COLUMN kinds text[] NOT NULL DEFAULT '{}';

-- The rows written before get their touched nodes, worked out from their ops:
-- the one update this append-only table ever gets, in this migration.
ALTER TABLE changes DISABLE TRIGGER changes_append_only;
UPDATE changes c SET touched = coalesce((
    SELECT array_agg(DISTINCT k)
    FROM jsonb_array_elements(c.ops) op,
         LATERAL unnest(ARRAY[op->>'key', op->>'source', op->>'target']) k
    WHERE k IS NOT NULL
), '{}');
UPDATE changes SET kinds = coalesce((
    SELECT array_agg(DISTINCT upper(split_part(k, ':', 1))) FROM unnest(touched) k
), '{}');
ALTER TABLE changes ENABLE TRIGGER changes_append_only;

CREATE INDEX changes_touched ON changes USING gin (touched);
CREATE INDEX changes_kinds ON changes USING gin (kinds);

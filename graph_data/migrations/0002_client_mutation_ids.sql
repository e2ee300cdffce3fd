-- showgraph schema 2: safe retries (graph_data.retries).
-- A change made with a clientMutationId keeps it and the mutation's result,
-- so a retry through any replica is answered as the first attempt was. Rows
-- written before have neither (NULL).
ALTER TABLE changes ADD COLUMN client_mutation_id text;
ALTER TABLE changes ADD COLUMN result jsonb;
CREATE INDEX changes_client_mutation_id ON changes (writer, client_mutation_id)
    WHERE client_mutation_id IS NOT NULL;

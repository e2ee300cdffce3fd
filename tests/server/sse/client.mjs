// The graphql-sse client (distinct connections mode, as against GraphQL Yoga)
// against a showgraph server: node client.mjs GRAPHQL_URL, the token in
// SHOWGRAPH_TOKEN. Prints one JSON line per step with what the client saw;
// tests/server/test_sse.py runs it and checks the lines.
import { createClient } from 'graphql-sse';

const url = process.argv[2];
const token = process.env.SHOWGRAPH_TOKEN;
const CREATE = `mutation Create($title: String!) {
  createSource(input: {fields: {title: $title, kind: USER_EDIT}}) { graphVersion userErrors { message } }
}`;
const WATCH = 'subscription Watch { graphChanged { graphVersion summary writer } }';

function client(headers = {}) {
  // retryAttempts 0: a refused request must show here, not be retried
  return createClient({ url, headers, retryAttempts: 0 });
}

async function results(sse, request) {
  const seen = [];
  for await (const result of sse.iterate(request)) seen.push(result);
  return seen;
}

function print(step, value) {
  process.stdout.write(JSON.stringify({ step, ...value }) + '\n');
}

async function main() {
  const anonymous = client();
  print('query', { results: await results(anonymous, { query: '{ graphVersion actors { totalCount } }' }) });
  print('invalid', { results: await results(anonymous, { query: '{ nope }' }) });
  print('unauthenticated', {
    results: await results(anonymous, { query: CREATE, variables: { title: 'not written' } }),
  });

  // Subscribe; once the stream is open, write over SSE too (with the token); the
  // event for that write must arrive on the subscription.
  const writer = client({ Authorization: `Bearer ${token}` });
  let written;
  const result = await new Promise((resolve, reject) => {
    const dispose = anonymous.subscribe(
      { query: WATCH },
      {
        next: (value) => {
          dispose();
          resolve(value);
        },
        error: reject,
        complete: () => reject(new Error('the subscription completed without an event')),
      },
      {
        connected: () => {
          written = results(writer, { query: CREATE, variables: { title: 'written over SSE' } });
          written.catch(reject);
        },
      },
    );
  });
  print('subscription', { result, wrote: await written });
  anonymous.dispose();
  writer.dispose();
}

main().catch((error) => {
  process.stderr.write(`error: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});

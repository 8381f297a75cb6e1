// The two references of bench/webhooks, each in its own process (started by run.ts):
//   bare:        a Fastify route that takes the raw body and answers 200, nothing else;
//   sync-engine: the npm package @supabase/stripe-sync-engine receiving the same events, as its
//                README shows (processWebhook(raw body, signature) → verified and upserted into its own
//                PostgreSQL schema before the 200), on the same PostgreSQL as paydesk.
// Usage: node --import tsx reference-server.ts bare|sync-engine PORT [DATABASE_URL SCHEMA SECRET]
// Prints "ready" once listening.
import { createRequire } from 'node:module';
import Fastify from 'fastify';

const [kind, portArg, databaseUrl, schema, secret] = process.argv.slice(2);
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

if (kind === 'bare') {
  app.post('/webhook', async () => ({ received: true }));
} else if (kind === 'sync-engine') {
  if (!databaseUrl || !schema || !secret) throw new Error('sync-engine needs DATABASE_URL SCHEMA SECRET');
  // Its ESM build (0.48.5) reads __dirname to find its migrations, which ESM does not define: the
  // migrations then fail with only a log line. The CommonJS build of the same version works.
  const { StripeSync, runMigrations } = createRequire(import.meta.url)(
    '@supabase/stripe-sync-engine',
  ) as typeof import('@supabase/stripe-sync-engine');
  await runMigrations({ databaseUrl, schema });
  const sync = new StripeSync({
    poolConfig: { connectionString: databaseUrl, max: 10 },
    schema,
    stripeSecretKey: 'sk_test_bench_unused',
    stripeWebhookSecret: secret,
    // The events carry whole objects; nothing is fetched from Stripe (there is no Stripe here).
    backfillRelatedEntities: false,
    autoExpandLists: false,
  });
  let reported = false;
  app.post('/webhook', async (request, reply) => {
    const signature = request.headers['stripe-signature'];
    try {
      await sync.processWebhook(
        request.body as Buffer,
        typeof signature === 'string' ? signature : undefined,
      );
    } catch (err) {
      if (!reported) {
        reported = true;
        process.stderr.write(`sync-engine refused an event: ${(err as Error).stack ?? String(err)}\n`);
      }
      return reply.code(400).send({ error: (err as Error).message });
    }
    return { received: true };
  });
} else {
  throw new Error(`unknown reference server: ${kind}`);
}

await app.listen({ port: Number(portArg), host: '127.0.0.1' });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});

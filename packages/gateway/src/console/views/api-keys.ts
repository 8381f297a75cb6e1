// API keys: the list (never the secrets), a new key shown once, and revocation, through the same
// functions as POST/DELETE /admin/api-keys; each change and its audit entry commit together.
import { z } from 'zod';
import { apiKeyView } from '../../admin/routes.js';
import { type Html, html } from '../../pages/html.js';
import { hide } from '../../pages/kit.js';
import { csrfField } from '../../pages/layout.js';
import {
  createApiKey,
  defaultScopes,
  listApiKeys,
  revokeApiKey,
  scopes,
} from '../../platform/auth/api-keys.js';
import { AppError } from '../../platform/errors.js';
import { type ConsoleKit, type ConsoleSession, type ConsoleView, csrfBody } from '../kit.js';
import { actionButton, badge, doneNotice, ident, runAction, when } from './cells.js';
import { csvLink, registerPage, renderTable } from './table.js';

type KeyView = ReturnType<typeof apiKeyView>;

const scopeHelp: Record<(typeof scopes)[number], string> = {
  read: 'read customers, payments, subscriptions',
  write: 'create customers, checkouts, subscriptions; consume credits',
  custom_amounts: 'charge amounts not in the catalog',
  refunds: 'refund payments',
};

function createForm(session: ConsoleSession): Html | '' {
  if (session.role !== 'admin') return '';
  return html`<form method="post" action="/console/api-keys" class="card">
<h2>New key</h2>
${csrfField(session.csrf)}
<div class="field"><label for="key-name">Name</label><input id="key-name" name="name" maxlength="100" placeholder="e.g. backend" required></div>
<fieldset class="field"><legend>Scopes</legend>${scopes.map(
    (sc) =>
      html`<label class="check"><input type="checkbox" name="scopes" value="${sc}"${defaultScopes.includes(sc) ? html` checked` : ''}> ${sc} <span class="muted small">— ${scopeHelp[sc]}</span></label>`,
  )}</fieldset>
<button type="submit">Create key</button>
</form>`;
}

async function keysPage(kit: ConsoleKit, session: ConsoleSession, notice: Html | ''): Promise<Html> {
  const keys = (await listApiKeys(kit.s.db)).map(apiKeyView).reverse();
  return html`<h1>API keys</h1>
<p class="muted">Keys the product’s servers call paydesk with. A key is shown once, when it is made; revoking it stops it at once.</p>
${notice}
${createForm(session)}
${keys.length > 0 ? csvLink('/console/api-keys') : ''}
${renderTable<KeyView>(
  [
    { label: 'Name', cell: (k) => k.name },
    { label: 'Key id', cell: (k) => ident(k.id) },
    { label: 'Scopes', cell: (k) => k.scopes.join(', ') },
    { label: 'Status', cell: (k) => (k.revoked_at ? badge('revoked') : badge('active')) },
    { label: 'Created', cell: (k) => when(k.created_at) },
    { label: 'Last used', cell: (k) => when(k.last_used_at) },
    {
      label: 'Action',
      cell: (k, s) =>
        k.revoked_at
          ? html`<span class="muted small">revoked ${when(k.revoked_at)}</span>`
          : actionButton(s, `/console/api-keys/${k.id}/revoke`, 'Revoke', {
              danger: true,
              name: `Revoke ${k.name}`,
            }),
    },
  ],
  keys,
  'API keys',
  'No API key yet.',
  session,
)}`;
}

export const apiKeysView: ConsoleView = {
  nav: { path: '/console/api-keys', label: 'API keys' },
  register(app, kit) {
    registerPage(app, kit, {
      path: '/console/api-keys',
      title: 'API keys',
      csv: {
        header: ['Name', 'Key id', 'Scopes', 'Status', 'Created', 'Last used', 'Revoked'],
        rows: async () =>
          (await listApiKeys(kit.s.db))
            .map(apiKeyView)
            .reverse()
            .map((k) => [
              k.name,
              k.id,
              k.scopes.join(' '),
              k.revoked_at ? 'revoked' : 'active',
              k.created_at,
              k.last_used_at,
              k.revoked_at,
            ]),
      },
      body: (session, q) =>
        keysPage(kit, session, doneNotice({ revoked: 'Key {ref} is revoked: it no longer works.' }, q)),
    });

    app.post(
      '/console/api-keys',
      {
        schema: {
          ...hide,
          body: z.object({
            _csrf: csrfBody,
            name: z.string().trim().min(1, 'give the key a name').max(100),
            // A form sends one value as a string and several as an array.
            scopes: z.preprocess(
              (v) => (typeof v === 'string' ? [v] : v),
              z.array(z.enum(scopes)).min(1, 'choose at least one scope'),
            ),
          }),
        },
      },
      async (request, reply) => {
        const { key, record, session } = await kit.act(request, request.body._csrf, async (tx, session) => {
          const made = await createApiKey(tx, { name: request.body.name, scopes: request.body.scopes });
          return {
            result: { ...made, session },
            audit: {
              action: 'api_key.create',
              target: made.record.id,
              details: { name: made.record.name, scopes: made.record.scopes },
            },
          };
        });
        // The key is shown on this answer only (never in a URL, never stored): no redirect.
        const notice = html`<div class="notice ok" role="status"><p><strong>Key “${record.name}” created.</strong> Copy it now: it is not shown again.</p>
<p><label for="new-key">API key</label><input id="new-key" class="key-once" readonly value="${key}"></p></div>`;
        return kit.page(reply, 201, {
          title: 'API keys',
          current: '/console/api-keys',
          session,
          body: await keysPage(kit, session, notice),
        });
      },
    );

    app.post(
      '/console/api-keys/:id/revoke',
      {
        schema: {
          ...hide,
          params: z.object({ id: z.string().min(1).max(200) }),
          body: z.object({ _csrf: csrfBody }),
        },
      },
      async (request, reply) =>
        runAction(reply, '/console/api-keys', async () => {
          await kit.act(request, request.body._csrf, async (tx) => {
            if (!(await revokeApiKey(tx, request.params.id, kit.s.verifiedKeys)))
              throw new AppError('not_found', `No active API key ${request.params.id}.`);
            return { result: undefined, audit: { action: 'api_key.revoke', target: request.params.id } };
          });
          return { done: 'revoked', ref: request.params.id };
        }),
    );
  },
};

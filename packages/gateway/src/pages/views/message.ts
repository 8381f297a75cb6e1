import { type Html, html } from '../html.js';

/** A page that only says something: an error, a refusal, a notice. */
export function messageView(title: string, detail: string, action?: { href: string; label: string }): Html {
  return html`<section class="card result">
    <h1>${title}</h1>
    <p>${detail}</p>
    ${action ? html`<div class="actions"><a class="button" href="${action.href}">${action.label}</a></div>` : ''}
  </section>`;
}

/** The heading of an error page for the status it answers with. */
export function errorTitle(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 403) return 'Not allowed';
  if (status === 401) return 'Please sign in';
  return status >= 500 ? 'Something went wrong' : 'That did not work';
}

const notices: Record<string, { tone: 'ok' | 'warn' | 'bad'; text: string }> = {
  changed: { tone: 'ok', text: 'Your plan was changed.' },
  cancelled: {
    tone: 'warn',
    text: 'Your subscription will end at the end of the current period. You can resume it until then.',
  },
  resumed: { tone: 'ok', text: 'Your subscription was resumed; it renews as before.' },
  card: { tone: 'ok', text: 'Your new card was saved and will be used for your next payments.' },
  'signed-in': { tone: 'ok', text: 'You are signed in.' },
};

/** A notice chosen by a fixed key from the query (never text from the URL). */
export function noticeFor(key: string | undefined): Html | undefined {
  const n = key ? notices[key] : undefined;
  return n ? html`<p class="notice ${n.tone}" role="status">${n.text}</p>` : undefined;
}

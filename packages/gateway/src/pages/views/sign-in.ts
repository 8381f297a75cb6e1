import { type Html, html } from '../html.js';

export interface DemoUser {
  externalId: string;
  email: string | null;
}

export function signInView(o: {
  productName: string;
  demo: { users: readonly DemoUser[]; csrf: string; next: string } | undefined;
  problem: string | undefined;
}): Html {
  const problem = o.problem ? html`<p class="notice bad" role="alert">${o.problem}</p>` : '';
  const demo = o.demo;
  return html`<h1>Sign in to billing</h1>
  ${problem}
  <section class="card" aria-labelledby="link-h">
    <h2 id="link-h">From ${o.productName}</h2>
    <p>Open your billing pages through the <strong>Billing</strong> link in ${o.productName}: it signs you in here for a while, with no password.</p>
  </section>
  ${
    demo
      ? html`<section class="card" aria-labelledby="demo-h">
    <h2 id="demo-h">Demo sign-in</h2>
    <p class="muted">This paydesk runs in demo mode: sign in as a demo user to try every page. Payments go to the offline Stripe emulator; pay with 4242 4242 4242 4242.</p>
    ${
      demo.users.length > 0
        ? html`<form method="post" action="/sign-in/demo" class="row"><input type="hidden" name="_csrf" value="${demo.csrf}"><input type="hidden" name="next" value="${demo.next}">
        <div><label for="demo-user">Existing demo user</label><select id="demo-user" name="user">${demo.users.map((u) => html`<option value="${u.externalId}">${u.email ?? u.externalId}</option>`)}</select></div>
        <button type="submit">Sign in</button></form>`
        : ''
    }
    <form method="post" action="/sign-in/demo" class="row"><input type="hidden" name="_csrf" value="${demo.csrf}"><input type="hidden" name="next" value="${demo.next}">
      <div><label for="demo-name">New demo user’s name</label><input id="demo-name" name="name" autocomplete="off" required maxlength="40" pattern="[A-Za-z0-9 ._-]+" placeholder="ada"></div>
      <button type="submit" class="${demo.users.length > 0 ? 'secondary' : ''}">Create and sign in</button></form>
  </section>`
      : ''
  }`;
}

import { notFoundPage } from './layout.js';
import { pageRoute } from './router.js';

pageRoute('GET', /^\/p\/session\/(bps_[A-Za-z0-9]+)$/, (app, [id]) => {
  const s = app.store.c('billing_portal.session').get(id!);
  if (s === undefined) return { status: 404, html: notFoundPage('Portal session') };
  return { status: 200, html: `<p>${String(app.store.c('customer').get(String(s.customer))?.email)}</p>` };
});

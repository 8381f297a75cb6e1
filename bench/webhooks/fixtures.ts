// The events the webhook benchmark sends, made from real emulator objects: a customer with an
// address, shipping, metadata and locales, updated (customer.updated, with previous_attributes), and
// invoices with three lines, finalised and paid (invoice.paid). Each becomes a template whose ids
// carry markers, so the load process gives every request its own event id; the customer id is unique
// per request too (paydesk knows no such customer: ignored), while invoice.paid events cycle through
// a pool of invoices that really exist in the emulator (paydesk's handler re-reads the invoice from
// Stripe, as it should for order safety; a made-up id would answer 404 and be retried).
import type Stripe from 'stripe';

/** Stands in for the unique part of an id in a template. */
export const ID_MARK = 'ZZBENCHIDZZ';
/** Stands in for an id taken in turn from EventTemplate.objects. */
export const OBJECT_MARK = 'ZZBENCHOBJZZ';

export interface EventTemplate {
  type: string;
  /** The event's JSON split at the marks; slots[i] says what goes between parts[i] and parts[i + 1]. */
  parts: string[];
  slots: ('unique' | 'object')[];
  /** Real object ids, used in turn for the `object` slots. */
  objects: string[];
  bytes: number;
}

/** The latest event of `type` in the emulator, as Stripe would deliver it. */
async function latestEvent(stripe: Stripe, type: string): Promise<Stripe.Event> {
  const { data } = await stripe.events.list({ type, limit: 1 });
  const event = data[0];
  if (!event) throw new Error(`the emulator emitted no ${type} event`);
  return event;
}

function template(
  event: Stripe.Event,
  uniqueIds: readonly string[],
  objects: readonly string[] = [],
): EventTemplate {
  let json = JSON.stringify({ ...event, id: `evt_${ID_MARK}` });
  for (const id of uniqueIds) {
    const prefix = id.slice(0, id.indexOf('_') + 1);
    json = json.split(id).join(`${prefix}${ID_MARK}`);
  }
  if (objects.length > 0) json = json.split(objects[0]!).join(OBJECT_MARK);
  const pieces = json.split(new RegExp(`(${ID_MARK}|${OBJECT_MARK})`));
  return {
    type: event.type,
    parts: pieces.filter((_, i) => i % 2 === 0),
    slots: pieces.filter((_, i) => i % 2 === 1).map((m) => (m === ID_MARK ? 'unique' : 'object')),
    objects: [...objects],
    bytes: Buffer.byteLength(json),
  };
}

/** How many real invoices the invoice.paid events cycle through. */
const INVOICES = 100;

export async function buildTemplates(stripe: Stripe): Promise<EventTemplate[]> {
  const customer = await stripe.customers.create(
    {
      email: 'ada.lovelace@example.com',
      name: 'Ada Lovelace',
      phone: '+44 20 7946 0958',
      description: 'Analytical Engine subscriber since 1843',
      address: {
        line1: '12 St James Square',
        line2: 'Flat 3',
        city: 'London',
        postal_code: 'SW1Y 4JH',
        country: 'GB',
        state: 'London',
      },
      shipping: {
        name: 'Ada Lovelace',
        phone: '+44 20 7946 0958',
        address: { line1: '12 St James Square', city: 'London', postal_code: 'SW1Y 4JH', country: 'GB' },
      },
      preferred_locales: ['en-GB', 'fr-FR'],
      metadata: {
        external_id: 'user_8f14e45fceea167a5a36dedd4bea2543',
        plan: 'pro',
        signup_source: 'pricing-page',
        company: 'Difference Engine Ltd',
        vat_number: 'GB123456789',
        crm_id: 'hs_0051000000ZkQ3A',
        account_manager: 'grace.hopper@analytical-engine.example',
        billing_contact: 'accounts-payable@difference-engine.example',
        cost_centre: 'R&D-0042',
        region: 'emea-west',
        onboarding_completed_at: '2026-10-02T09:14:00Z',
        referral_code: 'BABBAGE-1822',
        notes: 'Prefers invoices in GBP; PO number required on every invoice from 2027 onwards.',
      },
    },
    { idempotencyKey: `bench-webhooks-customer-${process.pid}-${Date.now()}` },
  );
  await stripe.customers.update(customer.id, {
    email: 'ada@analytical-engine.example',
    description: 'Analytical Engine subscriber since 1843 — upgraded to Business in November 2026',
    metadata: {
      plan: 'business',
      seats: '25',
      upgraded_from: 'pro',
      upgraded_by: 'ada@analytical-engine.example',
    },
  });
  const updated = await latestEvent(stripe, 'customer.updated');

  const payer = await stripe.customers.create({
    email: 'charles.babbage@example.com',
    name: 'Charles Babbage',
    address: { line1: '1 Dorset Street', city: 'London', postal_code: 'W1U 4EG', country: 'GB' },
    metadata: { external_id: 'user_c9f0f895fb98ab9159f51fd0297e236d' },
  });
  const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: payer.id });
  await stripe.customers.update(payer.id, { invoice_settings: { default_payment_method: pm.id } });
  const invoices: string[] = [];
  for (let i = 0; i < INVOICES; i++) {
    const invoice = await stripe.invoices.create({
      customer: payer.id,
      collection_method: 'charge_automatically',
      pending_invoice_items_behavior: 'exclude',
      metadata: { order: `ord_20261123_${String(i).padStart(4, '0')}` },
    });
    for (const [description, amount] of [
      ['Business plan — 25 seats, November', 62_500],
      ['Extra storage, 200 GB', 4_000],
      ['Priority support', 9_900],
    ] as const) {
      await stripe.invoiceItems.create({
        customer: payer.id,
        invoice: invoice.id,
        amount,
        currency: 'usd',
        description,
      });
    }
    await stripe.invoices.finalizeInvoice(invoice.id);
    await stripe.invoices.pay(invoice.id);
    invoices.push(invoice.id);
  }
  const paid = await latestEvent(stripe, 'invoice.paid');

  const last = (paid.data.object as Stripe.Invoice).id;
  if (last !== invoices.at(-1)) throw new Error('the latest invoice.paid is not for the last invoice');
  return [template(updated, [customer.id]), template(paid, [], invoices.reverse())];
}

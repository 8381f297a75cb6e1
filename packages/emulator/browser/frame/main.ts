// The script inside each element's iframe (served by the emulator at /v3/elements/<type>). It builds
// the form, reports changes to the page that framed it, and — for card forms — creates the
// PaymentMethod itself with the publishable key (same origin as the API), so the merchant's page
// never sees a card number.
import {
  CHANNEL,
  type ElementKind,
  type FrameAppearance,
  type FrameChange,
  type FrameOptions,
  type FromFrame,
  type ToFrame,
} from '../protocol.js';
import { AddressForm } from './address-form.js';
import { CardForm } from './card-form.js';
import type { Field } from './fields.js';

const query = new URLSearchParams(location.search);
const frameId = query.get('id') ?? '';
/** The merchant page's origin (the stand-in passes it); messages go there only. */
const parentOrigin = query.get('origin') ?? '';
const kind = (location.pathname.split('/').pop() ?? 'payment') as ElementKind;
const root = document.getElementById('element') as HTMLElement;

type Distribute<T> = T extends unknown ? Omit<T, 'channel' | 'frameId'> : never;

function post(message: Distribute<FromFrame>): void {
  if (parentOrigin === '') return;
  window.parent.postMessage({ ...message, channel: CHANNEL, frameId }, parentOrigin);
}

let frame: FrameOptions | undefined;
let form: CardForm | AddressForm | undefined;
let lastChange = '';

function fieldsOf(f: CardForm | AddressForm): Field[] {
  return f instanceof CardForm ? f.fields : Object.values(f.fields);
}

function changed(): void {
  if (form === undefined) return;
  const change = form.change();
  const text = JSON.stringify(change);
  if (text === lastChange) return;
  lastChange = text;
  post({ type: 'change', change });
}

const VARIABLES = [
  'colorPrimary',
  'colorBackground',
  'colorText',
  'colorTextSecondary',
  'colorTextPlaceholder',
  'colorDanger',
  'fontFamily',
  'fontSizeBase',
  'borderRadius',
  'spacingUnit',
];

function applyAppearance(appearance: FrameAppearance): void {
  const html = document.documentElement;
  html.dataset.theme = appearance.theme ?? 'stripe';
  for (const name of VARIABLES) {
    const value = appearance.variables?.[name];
    if (typeof value === 'string' && value !== '') html.style.setProperty(`--${name}`, value);
    else html.style.removeProperty(`--${name}`);
  }
}

function build(options: FrameOptions): void {
  frame = options;
  applyAppearance(options.appearance);
  if (options.locale && options.locale !== 'auto') document.documentElement.lang = options.locale;
  root.replaceChildren();
  root.dataset.type = options.elementType;
  form =
    kind === 'address'
      ? new AddressForm(root, options.options, changed)
      : new CardForm(root, kind === 'card' ? 'card' : 'payment', options.options, changed);
  lastChange = '';
  changed();
}

/** Marks every field touched and answers the first error (shown inline), if any. */
function validate(): FrameChange['error'] {
  if (form === undefined) return undefined;
  for (const f of fieldsOf(form)) f.touched = true;
  lastChange = '';
  changed();
  const first = form.errors().find(([, e]) => e !== undefined);
  if (first) first[0].control.focus();
  return first?.[1];
}

function form$(params: Record<string, unknown>, prefix = '', out = new URLSearchParams()): URLSearchParams {
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    const key = prefix === '' ? k : `${prefix}[${k}]`;
    if (typeof v === 'object') form$(v as Record<string, unknown>, key, out);
    else out.append(key, String(v));
  }
  return out;
}

async function createPaymentMethod(
  billingDetails: Record<string, unknown> | undefined,
  metadata: Record<string, string> | undefined,
): Promise<unknown> {
  if (!(form instanceof CardForm) || frame === undefined) {
    return { error: { type: 'invalid_request_error', message: 'This element does not collect a card.' } };
  }
  const error = validate();
  if (error) return { error };
  const card = form.details();
  const billing = structuredClone(billingDetails ?? {}) as { address?: Record<string, unknown> };
  billing.address = {
    ...(card.country ? { country: card.country } : {}),
    ...(card.postalCode ? { postal_code: card.postalCode } : {}),
    ...(billing.address ?? {}),
  };
  const body = form$({
    type: 'card',
    card: { number: card.number, exp_month: card.exp_month, exp_year: card.exp_year, cvc: card.cvc },
    billing_details: billing,
    metadata,
  });
  try {
    const res = await fetch('/v1/payment_methods', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${frame.publishableKey}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body,
    });
    const json = (await res.json()) as { error?: unknown };
    return res.ok ? { paymentMethod: json } : { error: json.error };
  } catch {
    return {
      error: { type: 'api_connection_error', message: 'The emulator could not be reached to save the card.' },
    };
  }
}

function setBusy(busy: boolean): void {
  if (form === undefined) return;
  for (const f of fieldsOf(form)) f.control.disabled = busy;
  root.classList.toggle('busy', busy);
}

window.addEventListener('message', (event: MessageEvent) => {
  if (event.source !== window.parent || event.origin !== parentOrigin) return;
  const msg = event.data as ToFrame;
  if (typeof msg !== 'object' || msg === null || msg.channel !== CHANNEL) return;
  switch (msg.type) {
    case 'init':
      build(msg.frame);
      post({ type: 'ready' });
      break;
    case 'update':
      if (frame !== undefined && JSON.stringify(frame.options) === JSON.stringify(msg.frame.options)) {
        frame = msg.frame;
        applyAppearance(msg.frame.appearance);
      } else {
        // Keep what was typed when the form is rebuilt for new options.
        const before = form ? fieldsOf(form).map((f) => [f.spec.name, f.value] as const) : [];
        build(msg.frame);
        if (form)
          for (const f of fieldsOf(form)) {
            const kept = before.find(([name]) => name === f.spec.name);
            if (kept && kept[1] !== '') f.value = kept[1];
          }
        changed();
      }
      break;
    case 'focus':
      if (form) fieldsOf(form)[0]?.control.focus();
      break;
    case 'blur':
      (document.activeElement as HTMLElement | null)?.blur();
      break;
    case 'clear':
      if (form && frame) build(frame);
      break;
    case 'busy':
      setBusy(msg.busy);
      break;
    case 'submit': {
      const error = validate();
      post({ type: 'result', requestId: msg.requestId, result: error ? { error } : {} });
      break;
    }
    case 'create-payment-method':
      void createPaymentMethod(msg.billingDetails, msg.metadata).then((result) =>
        post({ type: 'result', requestId: msg.requestId, result }),
      );
      break;
    case 'get-value':
      post({
        type: 'result',
        requestId: msg.requestId,
        result:
          form instanceof AddressForm
            ? {
                complete: form.errors().every(([, e]) => e === undefined),
                isNewAddress: true,
                value: form.value(),
              }
            : {},
      });
      break;
  }
});

let focused = false;
root.addEventListener('focusin', () => {
  if (!focused) post({ type: 'focus' });
  focused = true;
});
root.addEventListener('focusout', (event) => {
  if (event.relatedTarget instanceof Node && root.contains(event.relatedTarget)) return;
  focused = false;
  post({ type: 'blur' });
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') post({ type: 'escape' });
});
new ResizeObserver(() =>
  post({ type: 'resize', height: Math.ceil(root.getBoundingClientRect().height) + 8 }),
).observe(root);

post({ type: 'loaded' });

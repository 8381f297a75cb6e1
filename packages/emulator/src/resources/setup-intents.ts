import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, stateError } from '../core/errors.js';
import { newId, newSecret } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { bool, emptyableStr, obj, oneOf, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { bankTypeOf, type MandateInput, readMandateData, setupBankDebit } from './bank-debits.js';
import { baseUrl } from './common/base-url.js';
import type { EngineCtx } from './common/engine.js';
import {
  attachPaymentMethod,
  cardOf,
  declineError,
  type PaymentMethod,
  resolvePaymentMethod,
} from './payment-methods.js';

export type SetupIntent = Wire<Stripe.SetupIntent>;

declare module '../core/store.js' {
  interface CollectionTypes {
    setup_intent: SetupIntent;
    _setup_intent: { id: string; returnUrl: string | null };
  }
}

export interface CreateSetupIntentParams {
  customer?: string | null | undefined;
  payment_method?: string | null | undefined;
  usage?: 'on_session' | 'off_session' | undefined;
  confirm?: boolean | undefined;
  description?: string | null | undefined;
  metadata?: Stripe.Metadata | undefined;
  payment_method_types?: string[] | undefined;
  return_url?: string | undefined;
  mandate_data?: MandateInput | undefined;
}

function customerId(si: SetupIntent): string | null {
  return typeof si.customer === 'string' ? si.customer : (si.customer?.id ?? null);
}

function usePaymentMethod(ctx: EngineCtx, si: SetupIntent, id: string): PaymentMethod {
  const pm = resolvePaymentMethod(ctx, id, 'payment_method');
  if (pm.customer !== null && pm.customer !== customerId(si)) {
    throw invalidRequest(
      `The provided PaymentMethod ${pm.id} is attached to another customer than this SetupIntent's.`,
      'payment_method',
    );
  }
  return pm;
}

/** The same logic as `POST /v1/setup_intents` (Checkout's setup mode uses it). Throws on a failed setup. */
export function createSetupIntentInternal(ctx: EngineCtx, params: CreateSetupIntentParams): SetupIntent {
  if (params.customer) ctx.store.c('customer').require(params.customer, 'customer');
  const id = newId('seti');
  const si: SetupIntent = {
    id,
    object: 'setup_intent',
    allowed_payment_method_types: params.payment_method_types ?? null,
    application: null,
    automatic_payment_methods: params.payment_method_types
      ? null
      : { allow_redirects: 'always', enabled: true },
    cancellation_reason: null,
    client_secret: newSecret(`${id}_secret`, 32),
    created: ctx.now(),
    customer: params.customer ?? null,
    customer_account: null,
    description: params.description ?? null,
    excluded_payment_method_types: null,
    flow_directions: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: params.metadata ?? EMPTY_METADATA,
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: params.payment_method_types ?? ['card'],
    single_use_mandate: null,
    status: 'requires_payment_method',
    usage: params.usage ?? 'off_session',
  };
  if (params.payment_method) {
    si.payment_method = usePaymentMethod(ctx, si, params.payment_method).id;
    si.status = 'requires_confirmation';
  }
  ctx.store.c('setup_intent').insert(si);
  ctx.store.c('_setup_intent').insert({ id, returnUrl: params.return_url ?? null });
  ctx.emit('setup_intent.created', si);
  if (params.confirm) {
    confirmSetupIntent(ctx, si, { return_url: params.return_url, mandate_data: params.mandate_data });
  }
  return si;
}

const CONFIRMABLE: readonly SetupIntent['status'][] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];

/** Confirms a setup intent: the card's attach check, 3-D Secure when the card asks for it, success. */
export function confirmSetupIntent(
  ctx: EngineCtx,
  si: SetupIntent,
  params: {
    payment_method?: string | undefined;
    return_url?: string | undefined;
    /** Stripe.js handles the next action itself (3-D Secure in its modal) even with a return_url. */
    use_stripe_sdk?: boolean | undefined;
    /** `mandate_data[customer_acceptance]`, which bank debits (sepa_debit, us_bank_account) need. */
    mandate_data?: MandateInput | undefined;
  },
): SetupIntent {
  if (!CONFIRMABLE.includes(si.status)) {
    throw stateError(
      `You cannot confirm this SetupIntent because it has a status of ${si.status}.`,
      'setup_intent_unexpected_state',
    );
  }
  if (params.payment_method) si.payment_method = usePaymentMethod(ctx, si, params.payment_method).id;
  const pmId = typeof si.payment_method === 'string' ? si.payment_method : si.payment_method?.id;
  if (!pmId) {
    throw stateError(
      "You cannot confirm this SetupIntent because it's missing a payment method. Pass the payment_method parameter.",
      'setup_intent_unexpected_state',
      'payment_method',
    );
  }
  const priv = ctx.store.c('_setup_intent').get(si.id);
  if (priv && params.return_url !== undefined) priv.returnUrl = params.return_url;
  const pm = ctx.store.c('payment_method').require(pmId, 'payment_method');
  si.last_setup_error = null;
  if (bankTypeOf(pm) !== undefined) {
    if (!si.automatic_payment_methods?.enabled && !si.payment_method_types.includes(String(pm.type))) {
      throw invalidRequest(
        `The provided PaymentMethod (${pm.type}) is not allowed for this SetupIntent. Attach a PaymentMethod ` +
          `of one of the following types: ${si.payment_method_types.join(', ')}.`,
        'payment_method',
        'setup_intent_invalid_parameter',
      );
    }
    si.mandate = setupBankDebit(ctx, pm, customerId(si), params.mandate_data, (m, c) =>
      attachPaymentMethod(ctx, m, c),
    );
    si.status = 'succeeded';
    si.next_action = null;
    ctx.emit('setup_intent.succeeded', si);
    return si;
  }
  const { card } = cardOf(ctx, pm);
  if (card.declinesOnAttach && card.decline) {
    const decline = card.decline;
    si.status = 'requires_payment_method';
    si.payment_method = null;
    si.last_setup_error = {
      code: decline.code as Stripe.SetupIntent.LastSetupError.Code,
      decline_code: decline.declineCode,
      doc_url: `https://stripe.com/docs/error-codes/${decline.code.replaceAll('_', '-')}`,
      message: decline.message,
      payment_method: structuredClone(pm),
      type: 'card_error',
    };
    ctx.emit('setup_intent.setup_failed', si);
    throw declineError(decline, { setup_intent: structuredClone(si), payment_method: structuredClone(pm) });
  }
  if (card.threeDSecure !== 'none') {
    si.status = 'requires_action';
    const url = `${baseUrl(ctx.app)}/_emulator/3ds/${si.id}`;
    const returnUrl = priv?.returnUrl ?? null;
    si.next_action =
      returnUrl !== null && !params.use_stripe_sdk
        ? { type: 'redirect_to_url', redirect_to_url: { return_url: returnUrl, url } }
        : {
            type: 'use_stripe_sdk',
            // `use_stripe_sdk` is opaque in the SDK's types; Stripe.js reads these fields.
            use_stripe_sdk: {
              type: 'three_d_secure_redirect',
              stripe_js: url,
            } as Stripe.SetupIntent.NextAction.UseStripeSdk,
          };
    ctx.emit('setup_intent.requires_action', si);
    return si;
  }
  return succeed(ctx, si, pm);
}

function succeed(ctx: EngineCtx, si: SetupIntent, pm: PaymentMethod): SetupIntent {
  const customer = customerId(si);
  if (customer !== null) attachPaymentMethod(ctx, pm, customer);
  const { record } = cardOf(ctx, pm);
  if (si.usage === 'off_session') record.offSessionReady = true;
  si.status = 'succeeded';
  si.next_action = null;
  ctx.emit('setup_intent.succeeded', si);
  return si;
}

/** Completes or fails a setup intent's 3-D Secure step. */
export function authenticateSetupIntent(
  ctx: EngineCtx,
  si: SetupIntent,
  outcome: 'succeed' | 'fail',
): SetupIntent {
  if (si.status !== 'requires_action') {
    throw stateError(
      `This SetupIntent has a status of ${si.status}; only a SetupIntent that requires_action can be authenticated.`,
      'setup_intent_unexpected_state',
    );
  }
  const pmId = typeof si.payment_method === 'string' ? si.payment_method : (si.payment_method?.id ?? '');
  const pm = ctx.store.c('payment_method').require(pmId, 'payment_method');
  if (outcome === 'succeed') return succeed(ctx, si, pm);
  si.status = 'requires_payment_method';
  si.next_action = null;
  si.payment_method = null;
  si.last_setup_error = {
    code: 'setup_intent_authentication_failure',
    doc_url: 'https://stripe.com/docs/error-codes/setup-intent-authentication-failure',
    message:
      'The latest attempt to set up the payment method has failed because authentication failed. Provide a new ' +
      'payment method to attempt to set up again.',
    payment_method: structuredClone(pm),
    type: 'invalid_request_error',
  };
  ctx.emit('setup_intent.setup_failed', si);
  return si;
}

// ---------------------------------------------------------------------------------------------
// HTTP

function requireSi(ctx: Ctx): SetupIntent {
  return ctx.store.c('setup_intent').require(ctx.args.id!, 'intent', 404);
}

function checkClientSecret(ctx: Ctx, si: SetupIntent): void {
  if (!ctx.apiKey.startsWith('pk_')) return;
  const secret = str(ctx.params, 'client_secret');
  if (secret === undefined) throw missingParam('client_secret');
  if (secret !== si.client_secret) {
    throw invalidRequest(
      'The client_secret provided does not match the client_secret associated with the SetupIntent.',
      'client_secret',
      'setup_intent_invalid_parameter',
    );
  }
}

const USAGE = ['on_session', 'off_session'] as const;

function create(ctx: Ctx): SetupIntent {
  const p = ctx.params;
  const types = strArr(p, 'allowed_payment_method_types') ?? strArr(p, 'payment_method_types');
  if (types !== undefined && obj(p, 'automatic_payment_methods') !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: automatic_payment_methods, payment_method_types.',
      'automatic_payment_methods',
    );
  }
  return createSetupIntentInternal(ctx, {
    customer: str(p, 'customer'),
    payment_method: str(p, 'payment_method'),
    usage: oneOf(p, 'usage', USAGE),
    confirm: bool(p, 'confirm'),
    description: str(p, 'description'),
    metadata: applyMetadata({}, p),
    payment_method_types: types,
    return_url: str(p, 'return_url'),
    mandate_data: readMandateData(p),
  });
}

function update(ctx: Ctx): SetupIntent {
  const si = requireSi(ctx);
  const p = ctx.params;
  const customer = emptyableStr(p, 'customer');
  if (customer) {
    ctx.store.c('customer').require(customer, 'customer');
    si.customer = customer;
  }
  const description = emptyableStr(p, 'description');
  if (description !== undefined) si.description = description;
  const pm = str(p, 'payment_method');
  if (pm) {
    if (!CONFIRMABLE.includes(si.status)) {
      throw stateError(
        `You cannot update this SetupIntent because it has a status of ${si.status}.`,
        'setup_intent_unexpected_state',
      );
    }
    si.payment_method = usePaymentMethod(ctx, si, pm).id;
    si.status = 'requires_confirmation';
  }
  si.metadata = applyMetadata(si.metadata, p);
  return si;
}

function cancel(ctx: Ctx): SetupIntent {
  const si = requireSi(ctx);
  if (!CONFIRMABLE.includes(si.status)) {
    throw stateError(
      `You cannot cancel this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one ` +
        `of the following statuses may be canceled: ${CONFIRMABLE.join(', ')}.`,
      'setup_intent_unexpected_state',
    );
  }
  const reason = oneOf(ctx.params, 'cancellation_reason', [
    'abandoned',
    'requested_by_customer',
    'duplicate',
  ] as const);
  si.status = 'canceled';
  si.cancellation_reason = reason ?? null;
  si.next_action = null;
  ctx.emit('setup_intent.canceled', si);
  return si;
}

function list(ctx: Ctx) {
  const customer = str(ctx.params, 'customer');
  const pm = str(ctx.params, 'payment_method');
  const created = rangeFilter(ctx.params, 'created');
  return paginate(
    ctx.store.c('setup_intent'),
    ctx.params,
    '/v1/setup_intents',
    allOf<SetupIntent>(
      customer !== undefined && ((s) => s.customer === customer),
      pm !== undefined && ((s) => s.payment_method === pm),
      created && ((s) => created(s.created)),
    ),
  );
}

export const setupIntents = defineResource('setup_intents', (api) => {
  api.label('setup_intent', 'setup_intent');
  api.post('/v1/setup_intents', create);
  api.get('/v1/setup_intents', list);
  api.get(
    '/v1/setup_intents/:id',
    (ctx) => {
      const si = requireSi(ctx);
      checkClientSecret(ctx, si);
      return si;
    },
    { publishable: true },
  );
  api.post('/v1/setup_intents/:id', update);
  api.post(
    '/v1/setup_intents/:id/confirm',
    (ctx) => {
      const si = requireSi(ctx);
      checkClientSecret(ctx, si);
      return confirmSetupIntent(ctx, si, {
        payment_method: str(ctx.params, 'payment_method'),
        return_url: str(ctx.params, 'return_url'),
        use_stripe_sdk: bool(ctx.params, 'use_stripe_sdk'),
        mandate_data: readMandateData(ctx.params),
      });
    },
    { publishable: true },
  );
  api.post('/v1/setup_intents/:id/cancel', cancel);
  api.expandable('setup_intent', 'payment_method', (id) => api.store.c('payment_method').get(id));
  api.expandable('setup_intent', 'customer', (id) => api.store.c('customer').get(id));
});

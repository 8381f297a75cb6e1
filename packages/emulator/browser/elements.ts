// `stripe.elements()` and the element objects on the merchant's page: each element is an iframe served
// by the emulator; this side mounts it, relays options, events and requests.
import type { StripeError } from '@stripe/stripe-js';
import { IntegrationError } from './api.js';
import {
  CHANNEL,
  type ElementKind,
  type FrameAppearance,
  type FrameChange,
  type FrameOptions,
  type FromFrame,
  isFromFrame,
  type ToFrame,
} from './protocol.js';

type Handler = (event: never) => unknown;
type Distribute<T> = T extends unknown ? Omit<T, 'channel'> : never;
/** A message that expects an answer, before `request` numbers it. */
type FrameRequest =
  Extract<ToFrame, { requestId: number }> extends infer T
    ? T extends unknown
      ? Omit<T, 'channel' | 'requestId'>
      : never
    : never;

const EVENTS = ['change', 'ready', 'focus', 'blur', 'escape', 'loaderror', 'loaderstart', 'networkschange'];
let frameCounter = 0;

/** What an element needs from the Stripe object that made it. */
export interface ElementHost {
  /** The emulator's origin (`http://127.0.0.1:12111`). */
  origin: string;
  publishableKey: string;
  locale: string | undefined;
}

export class Element {
  readonly #handlers = new Map<string, { fn: Handler; once: boolean }[]>();
  readonly #pending = new Map<number, (result: unknown) => void>();
  readonly #frameId = `pdse-${++frameCounter}-${Math.random().toString(36).slice(2, 8)}`;
  #options: Record<string, unknown>;
  #container: HTMLElement | undefined;
  #wrapper: HTMLDivElement | undefined;
  #iframe: HTMLIFrameElement | undefined;
  #listener: ((event: MessageEvent) => void) | undefined;
  #ready: Promise<void> = new Promise(() => {});
  #markReady: () => void = () => {};
  #requests = 0;
  #destroyed = false;
  /** The last change the iframe reported (`complete`, `empty`, `error`, `value`). */
  last: FrameChange = { complete: false, empty: true };

  constructor(
    readonly group: ElementsGroup,
    readonly elementType: ElementKind,
    options: Record<string, unknown>,
  ) {
    this.#options = { ...options };
  }

  mount(domElement: string | HTMLElement): void {
    if (this.#destroyed) throw new IntegrationError('This Element has been destroyed; create a new one.');
    if (this.#iframe) {
      throw new IntegrationError(
        'This Element is already mounted. Use `unmount()` to unmount the Element before re-mounting.',
      );
    }
    const target =
      typeof domElement === 'string' ? document.querySelector<HTMLElement>(domElement) : domElement;
    if (!(target instanceof HTMLElement)) {
      throw new IntegrationError(
        typeof domElement === 'string'
          ? `The selector you specified (${domElement}) applies to no DOM elements that are currently on the page.\n` +
              'Make sure the element exists on the page before calling mount().'
          : 'Invalid DOM element. Make sure to call mount() with a valid DOM element or selector.',
      );
    }
    const host = this.group.host;
    this.#ready = new Promise((resolve) => {
      this.#markReady = resolve;
    });
    const iframe = document.createElement('iframe');
    iframe.title = 'Secure payment input frame';
    iframe.name = this.#frameId;
    iframe.setAttribute('frameborder', '0');
    iframe.setAttribute('allowtransparency', 'true');
    iframe.setAttribute('scrolling', 'no');
    iframe.allow = 'payment *';
    Object.assign(iframe.style, {
      border: '0',
      width: '1px',
      minWidth: '100%',
      height: this.elementType === 'card' ? '52px' : this.elementType === 'address' ? '420px' : '260px',
      display: 'block',
      overflow: 'hidden',
      colorScheme: 'normal',
    });
    const q = new URLSearchParams({ id: this.#frameId, origin: location.origin });
    iframe.src = `${host.origin}/v3/elements/${this.elementType}?${q}`;
    const wrapper = document.createElement('div');
    wrapper.className = '__PrivateStripeElement';
    // The iframe's page has 4px around the form for focus rings: the fields line up with the container.
    wrapper.style.margin = '-4px';
    wrapper.append(iframe);
    this.#listener = (event) => this.#onMessage(event);
    window.addEventListener('message', this.#listener);
    target.classList.add('StripeElement', 'StripeElement--empty');
    target.append(wrapper);
    this.#container = target;
    this.#wrapper = wrapper;
    this.#iframe = iframe;
    this.#emit('loaderstart', { elementType: this.elementType });
  }

  unmount(): void {
    if (this.#listener) window.removeEventListener('message', this.#listener);
    this.#wrapper?.remove();
    this.#container?.classList.remove(
      'StripeElement',
      'StripeElement--empty',
      'StripeElement--complete',
      'StripeElement--invalid',
      'StripeElement--focus',
    );
    for (const resolve of this.#pending.values()) {
      resolve({ error: { type: 'validation_error', message: 'The element was unmounted.' } });
    }
    this.#pending.clear();
    this.#iframe = undefined;
    this.#wrapper = undefined;
    this.#container = undefined;
    this.#listener = undefined;
  }

  destroy(): void {
    this.unmount();
    this.#destroyed = true;
    this.group.forget(this);
  }

  focus(): void {
    this.#post({ type: 'focus' });
    this.#iframe?.focus();
  }

  blur(): void {
    this.#post({ type: 'blur' });
  }

  clear(): void {
    this.#post({ type: 'clear' });
  }

  collapse(): this {
    return this;
  }

  update(options: Record<string, unknown>): this {
    this.#options = { ...this.#options, ...options };
    this.#post({ type: 'update', frame: this.frameOptions() });
    return this;
  }

  /** Address Element: the name and address typed. */
  getValue(): Promise<{
    complete: boolean;
    isNewAddress: boolean;
    value: {
      name: string;
      address: {
        line1: string;
        line2: string | null;
        city: string;
        state: string;
        postal_code: string;
        country: string;
      };
    };
  }> {
    return this.request({ type: 'get-value' }) as never;
  }

  on(eventType: string, handler: Handler): this {
    return this.#add(eventType, handler, false);
  }

  once(eventType: string, handler: Handler): this {
    return this.#add(eventType, handler, true);
  }

  off(eventType: string, handler?: Handler): this {
    if (handler === undefined) this.#handlers.delete(eventType);
    else {
      const list = this.#handlers.get(eventType) ?? [];
      this.#handlers.set(
        eventType,
        list.filter((h) => h.fn !== handler),
      );
    }
    return this;
  }

  #add(eventType: string, handler: Handler, once: boolean): this {
    if (!EVENTS.includes(eventType)) {
      throw new IntegrationError(
        `Unsupported event type "${eventType}" for the ${this.elementType} Element.`,
      );
    }
    if (typeof handler !== 'function') {
      throw new IntegrationError(`on('${eventType}', handler): handler must be a function.`);
    }
    const list = this.#handlers.get(eventType) ?? [];
    list.push({ fn: handler, once });
    this.#handlers.set(eventType, list);
    return this;
  }

  #emit(eventType: string, event: Record<string, unknown>): void {
    const list = this.#handlers.get(eventType);
    if (!list) return;
    this.#handlers.set(
      eventType,
      list.filter((h) => !h.once),
    );
    for (const h of list) {
      try {
        (h.fn as (event: unknown) => unknown)(event);
      } catch (err) {
        // A merchant's handler throwing must not break the element (Stripe.js reports it the same way).
        setTimeout(() => {
          throw err;
        });
      }
    }
  }

  frameOptions(): FrameOptions {
    const host = this.group.host;
    return {
      elementType: this.elementType,
      publishableKey: host.publishableKey,
      options: JSON.parse(JSON.stringify(this.#options)) as Record<string, unknown>,
      appearance: this.group.appearance(),
      locale: this.group.locale ?? host.locale,
    };
  }

  /** Whether the iframe is mounted and has said it is ready. */
  get mounted(): boolean {
    return this.#iframe !== undefined;
  }

  #post(message: Distribute<ToFrame>): void {
    const win = this.#iframe?.contentWindow;
    if (!win) return;
    void this.#ready.then(() => {
      this.#iframe?.contentWindow?.postMessage({ ...message, channel: CHANNEL }, this.group.host.origin);
    });
  }

  /** Sends a request to the iframe and resolves with its answer. */
  request(message: FrameRequest): Promise<unknown> {
    if (!this.#iframe) {
      return Promise.resolve({
        error: {
          type: 'validation_error',
          message: `The ${this.elementType} Element is not mounted: mount it before confirming.`,
        } satisfies StripeError,
      });
    }
    const requestId = ++this.#requests;
    return new Promise((resolve) => {
      this.#pending.set(requestId, resolve);
      this.#post({ ...message, requestId } as Distribute<ToFrame>);
    });
  }

  setBusy(busy: boolean): void {
    this.#post({ type: 'busy', busy });
  }

  #onMessage(event: MessageEvent): void {
    if (event.origin !== this.group.host.origin || event.source !== this.#iframe?.contentWindow) return;
    const msg: unknown = event.data;
    if (!isFromFrame(msg) || msg.frameId !== this.#frameId) return;
    this.#handle(msg);
  }

  #handle(msg: FromFrame): void {
    const base = { elementType: this.elementType };
    switch (msg.type) {
      case 'loaded':
        // Also after the iframe reloads (moved in the DOM): it starts over from `init`.
        this.#iframe?.contentWindow?.postMessage(
          { channel: CHANNEL, type: 'init', frame: this.frameOptions() } satisfies ToFrame,
          this.group.host.origin,
        );
        break;
      case 'ready':
        this.#markReady();
        this.#emit('ready', base);
        break;
      case 'resize':
        if (this.#iframe) this.#iframe.style.height = `${msg.height}px`;
        break;
      case 'focus':
        this.#container?.classList.add('StripeElement--focus');
        this.#emit('focus', base);
        break;
      case 'blur':
        this.#container?.classList.remove('StripeElement--focus');
        this.#emit('blur', base);
        break;
      case 'escape':
        this.#emit('escape', base);
        break;
      case 'change': {
        this.last = msg.change;
        const c = this.#container?.classList;
        c?.toggle('StripeElement--empty', msg.change.empty);
        c?.toggle('StripeElement--complete', msg.change.complete);
        c?.toggle('StripeElement--invalid', msg.change.error !== undefined);
        this.#emit('change', this.#changeEvent(msg.change));
        break;
      }
      case 'result': {
        const resolve = this.#pending.get(msg.requestId);
        this.#pending.delete(msg.requestId);
        resolve?.(msg.result);
        break;
      }
    }
  }

  #changeEvent(change: FrameChange): Record<string, unknown> {
    const event: Record<string, unknown> = {
      elementType: this.elementType,
      empty: change.empty,
      complete: change.complete,
      error: change.error,
      value: change.value,
    };
    if (this.elementType === 'payment') event.collapsed = false;
    if (this.elementType === 'card') event.brand = change.brand ?? 'unknown';
    if (this.elementType === 'address') event.isNewAddress = true;
    return event;
  }
}

const SUPPORTED: readonly string[] = ['payment', 'card', 'address'];

/** `stripe.elements(options)`: a group of elements sharing an intent, appearance and locale. */
export class ElementsGroup {
  readonly #elements = new Map<ElementKind, Element>();
  readonly #updateEnd: (() => void)[] = [];
  #options: Record<string, unknown>;

  constructor(
    readonly host: ElementHost,
    options: Record<string, unknown>,
  ) {
    this.#options = { ...options };
    const secret = options.clientSecret;
    if (
      secret !== undefined &&
      (typeof secret !== 'string' || !/^(pi|seti)_[A-Za-z0-9]+_secret_/.test(secret))
    ) {
      throw new IntegrationError(
        `Invalid value for elements(): clientSecret should be a client secret of the form \${id}_secret_\${secret}. You specified: ${String(secret)}.`,
      );
    }
    if (secret === undefined && options.mode !== undefined) {
      const mode = options.mode;
      if (mode !== 'payment' && mode !== 'setup' && mode !== 'subscription') {
        throw new IntegrationError(
          `Invalid value for elements(): mode should be one of payment, setup, subscription.`,
        );
      }
      if (mode !== 'setup' && (typeof options.amount !== 'number' || typeof options.currency !== 'string')) {
        throw new IntegrationError(
          `elements(): in mode '${mode}', amount (an integer in the smallest currency unit) and currency are required.`,
        );
      }
    }
  }

  get clientSecret(): string | undefined {
    const s = this.#options.clientSecret;
    return typeof s === 'string' ? s : undefined;
  }

  get locale(): string | undefined {
    const l = this.#options.locale;
    return typeof l === 'string' ? l : undefined;
  }

  appearance(): FrameAppearance {
    const a = this.#options.appearance as FrameAppearance | undefined;
    return { theme: a?.theme, variables: a?.variables };
  }

  create(elementType: string, elementOptions: object = {}): Element {
    const options = elementOptions as Record<string, unknown>;
    if (!SUPPORTED.includes(elementType)) {
      throw new IntegrationError(
        `The emulator's Stripe.js stand-in does not support the "${elementType}" Element; it supports payment, card and address.`,
      );
    }
    const kind = elementType as ElementKind;
    if (this.#elements.has(kind)) {
      throw new IntegrationError(`Can only create one Element of type ${kind}.`);
    }
    if (kind === 'address' && options.mode !== 'shipping' && options.mode !== 'billing') {
      throw new IntegrationError("elements.create('address'): mode must be 'shipping' or 'billing'.");
    }
    const element = new Element(this, kind, options);
    this.#elements.set(kind, element);
    return element;
  }

  getElement(elementType: string): Element | null {
    return this.#elements.get(elementType as ElementKind) ?? null;
  }

  forget(element: Element): void {
    if (this.#elements.get(element.elementType) === element) this.#elements.delete(element.elementType);
  }

  update(options: Record<string, unknown>): void {
    this.#options = { ...this.#options, ...options };
    for (const el of this.#elements.values()) el.update({});
    for (const handler of this.#updateEnd) handler();
  }

  /** `on('update-end')`: called after `update()` has reached the elements. */
  on(eventType: 'update-end', handler: () => void): void {
    if (eventType !== 'update-end')
      throw new IntegrationError(`Unsupported Elements event "${String(eventType)}".`);
    this.#updateEnd.push(handler);
  }

  fetchUpdates(): Promise<{ error?: { message: string; status?: string } }> {
    // The emulator's element shows the card form whatever the intent says: nothing to refresh.
    return Promise.resolve({});
  }

  /** The element that collects the card (Payment Element first). */
  cardElement(): Element | undefined {
    return this.#elements.get('payment') ?? this.#elements.get('card');
  }

  async submit(): Promise<
    | { error?: StripeError; selectedPaymentMethod?: undefined }
    | { selectedPaymentMethod: string; error?: undefined }
  > {
    const elements = [...this.#elements.values()].filter((e) => e.mounted);
    if (elements.length === 0) {
      return {
        error: { type: 'validation_error', message: 'elements.submit(): no mounted Element to submit.' },
      };
    }
    let first: StripeError | undefined;
    for (const el of elements) {
      const r = (await el.request({ type: 'submit' })) as { error?: StripeError };
      first ??= r.error;
    }
    return first ? { error: first } : { selectedPaymentMethod: 'card' };
  }

  setBusy(busy: boolean): void {
    for (const el of this.#elements.values()) el.setBusy(busy);
  }
}

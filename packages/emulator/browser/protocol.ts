// The messages between the stand-in on the merchant's page and the element iframes it mounts (served
// by the emulator, on the API's origin). Card numbers never cross this boundary: the iframe creates
// the PaymentMethod itself and hands back its id.

/** Every message carries this, so that other postMessage traffic on the page is ignored. */
export const CHANNEL = 'paydesk-stripejs';

export type ElementKind = 'payment' | 'card' | 'address';

/** The subset of Stripe's Appearance API the iframes honour. */
export interface FrameAppearance {
  theme?: 'stripe' | 'night' | 'flat' | undefined;
  variables?: Record<string, string | undefined> | undefined;
}

/** A field error as Stripe.js reports it in change events and from `elements.submit()`. */
export interface ValidationError {
  type: 'validation_error';
  code: string;
  message: string;
}

/** The change event the frame computes; the parent adds `elementType`. */
export interface FrameChange {
  complete: boolean;
  empty: boolean;
  error?: ValidationError | undefined;
  /** Card and Payment Element: the detected brand (`visa`, `mastercard`, … or `unknown`). */
  brand?: string | undefined;
  /** Payment Element: `{type: 'card'}`; card: `{postalCode}`; address: `{name, address}`. */
  value?: unknown;
}

/** What the parent passes at mount and on update: the element's options and the group's. */
export interface FrameOptions {
  elementType: ElementKind;
  publishableKey: string;
  options: Record<string, unknown>;
  appearance: FrameAppearance;
  locale?: string | undefined;
}

export type ToFrame =
  | { channel: typeof CHANNEL; type: 'init'; frame: FrameOptions }
  | { channel: typeof CHANNEL; type: 'update'; frame: FrameOptions }
  | { channel: typeof CHANNEL; type: 'focus' | 'blur' | 'clear' }
  | { channel: typeof CHANNEL; type: 'busy'; busy: boolean }
  /** Validate every field, show errors inline; answers `{error?}`. */
  | { channel: typeof CHANNEL; type: 'submit'; requestId: number }
  /** Create a card PaymentMethod from the form; answers `{paymentMethod}` or `{error}`. */
  | {
      channel: typeof CHANNEL;
      type: 'create-payment-method';
      requestId: number;
      billingDetails?: Record<string, unknown> | undefined;
      metadata?: Record<string, string> | undefined;
    }
  /** Address Element: answers `{complete, isNewAddress, value}`. */
  | { channel: typeof CHANNEL; type: 'get-value'; requestId: number };

export type FromFrame =
  | { channel: typeof CHANNEL; frameId: string; type: 'loaded' | 'ready' | 'focus' | 'blur' | 'escape' }
  | { channel: typeof CHANNEL; frameId: string; type: 'change'; change: FrameChange }
  | { channel: typeof CHANNEL; frameId: string; type: 'resize'; height: number }
  | { channel: typeof CHANNEL; frameId: string; type: 'result'; requestId: number; result: unknown };

/** The message the emulator's 3-D Secure page sends its parent when loaded with `?embedded=1`. */
export interface ThreeDsMessage {
  type: 'paydesk-emulator:3ds';
  intent: string;
  outcome: 'succeeded' | 'failed';
}

export function isFromFrame(data: unknown): data is FromFrame {
  return typeof data === 'object' && data !== null && (data as { channel?: unknown }).channel === CHANNEL;
}

// The 3-D Secure modal: the emulator's challenge page in an iframe over the merchant's page, closed
// when that page posts its outcome (the contract in TEAM.md: `paydesk-emulator:3ds`).
import type { ThreeDsMessage } from './protocol.js';

export function threeDSecureModal(
  url: string,
  intentId: string,
  origin: string,
): Promise<ThreeDsMessage['outcome']> {
  return new Promise((resolve) => {
    const overlay = document.createElement('div');
    overlay.setAttribute('role', 'dialog');
    overlay.setAttribute('aria-modal', 'true');
    overlay.setAttribute('aria-label', '3D Secure authentication');
    overlay.dataset.paydeskThreeDs = intentId;
    Object.assign(overlay.style, {
      position: 'fixed',
      inset: '0',
      zIndex: '2147483647',
      background: 'rgba(10, 20, 40, 0.55)',
      display: 'flex',
      alignItems: 'center',
      justifyContent: 'center',
      padding: '16px',
      boxSizing: 'border-box',
    });
    const frame = document.createElement('iframe');
    frame.title = '3D Secure authentication';
    frame.name = `paydesk-3ds-${intentId}`;
    const target = new URL(url);
    target.searchParams.set('embedded', '1');
    frame.src = target.toString();
    Object.assign(frame.style, {
      width: '100%',
      maxWidth: '460px',
      height: '100%',
      maxHeight: '560px',
      border: '0',
      borderRadius: '12px',
      background: '#fff',
      boxShadow: '0 20px 60px rgba(0, 0, 0, 0.35)',
    });
    overlay.append(frame);
    const previousOverflow = document.body.style.overflow;
    const previousFocus = document.activeElement as HTMLElement | null;
    document.body.style.overflow = 'hidden';
    const onMessage = (event: MessageEvent): void => {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      const data = event.data as Partial<ThreeDsMessage> | null;
      if (data?.type !== 'paydesk-emulator:3ds' || data.intent !== intentId) return;
      if (data.outcome !== 'succeeded' && data.outcome !== 'failed') return;
      window.removeEventListener('message', onMessage);
      overlay.remove();
      document.body.style.overflow = previousOverflow;
      previousFocus?.focus?.();
      resolve(data.outcome);
    };
    window.addEventListener('message', onMessage);
    document.body.append(overlay);
    frame.focus();
  });
}

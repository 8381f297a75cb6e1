// paydesk billing pages: the one script, for the forms that pay or save a card with Stripe.js's
// Payment Element. Everything else on the pages works without script.
// A form opts in with data-pay="payment" (confirmPayment) or data-pay="setup" (confirmSetup) and
// carries data-key (publishable key), data-secret (the intent's client secret) and data-return (the
// page that checks the outcome with paydesk). A decline is shown inline and the card stays editable;
// 3-D Secure opens Stripe.js's own modal.
(() => {
  const form = document.querySelector('form[data-pay]');
  if (!form) return;
  const error = document.getElementById('pay-error');
  const button = form.querySelector('button[type="submit"]');
  const show = (message) => {
    error.textContent = message;
    error.hidden = false;
    error.focus();
  };
  if (typeof window.Stripe !== 'function') {
    show('The payment form could not load. Check your connection and reload the page.');
    return;
  }
  const stripe = window.Stripe(form.dataset.key);
  const elements = stripe.elements({ clientSecret: form.dataset.secret });
  const payment = elements.create('payment', { layout: 'tabs' });
  payment.mount('#payment-element');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    error.textContent = '';
    if (button) {
      button.disabled = true;
      button.dataset.label = button.textContent;
      button.textContent = 'Processing…';
    }
    const options = { elements, confirmParams: { return_url: form.dataset.return }, redirect: 'if_required' };
    const setup = form.dataset.pay === 'setup';
    const result = setup ? await stripe.confirmSetup(options) : await stripe.confirmPayment(options);
    if (result.error) {
      if (button) {
        button.disabled = false;
        button.textContent = button.dataset.label;
      }
      show(result.error.message || 'The payment did not go through. Check the card and try again.');
      return;
    }
    const intent = setup ? result.setupIntent : result.paymentIntent;
    const url = new URL(form.dataset.return, window.location.href);
    if (intent) {
      url.searchParams.set(setup ? 'setup_intent' : 'payment_intent', intent.id);
      url.searchParams.set('redirect_status', intent.status === 'succeeded' ? 'succeeded' : intent.status);
    }
    window.location.assign(url.toString());
  });
})();

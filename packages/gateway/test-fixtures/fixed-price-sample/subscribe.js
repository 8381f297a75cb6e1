// Subscribe: the Payment Element confirms the first invoice's payment with the client secret the
// server returned; then the account page shows the active subscription.
const clientSecret = sessionStorage.getItem('clientSecret');
const form = document.querySelector('#subscribe-form');
const submit = document.querySelector('#submit');
let stripe;
let elements;

api('/config').then(
  ({ publishableKey }) => {
    stripe = Stripe(publishableKey);
    elements = stripe.elements({ clientSecret });
    elements.create('payment').mount('#payment-element');
  },
  (error) => say(error.message, 'error'),
);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  submit.disabled = true;
  say('Processing…');
  const { error } = await stripe.confirmPayment({
    elements,
    confirmParams: { return_url: `${window.location.origin}/account.html` },
    redirect: 'if_required',
  });
  if (error) {
    say(`Payment failed: ${error.message}`, 'error');
    submit.disabled = false;
    return;
  }
  say('Success! Taking you to your account.', 'ok');
  window.location.href = '/account.html';
});

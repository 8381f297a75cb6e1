// Cancel: ends the subscription now and says what the server answered.
const subscriptionId = new URLSearchParams(window.location.search).get('subscription');

document.querySelector('#cancel-btn').addEventListener('click', async (event) => {
  event.target.disabled = true;
  say('Cancelling…');
  try {
    const { subscription } = await api('/cancel-subscription', {
      method: 'POST',
      body: JSON.stringify({ subscriptionId }),
    });
    say(`Subscription status: ${subscription.status}`, 'ok');
  } catch (error) {
    say(error.message, 'error');
    event.target.disabled = false;
  }
});

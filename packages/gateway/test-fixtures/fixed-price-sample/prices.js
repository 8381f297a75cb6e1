// Prices: the server's configured prices (with their products); choosing one starts a subscription
// whose first payment the next page collects.
const list = document.querySelector('#price-list');

async function choose(priceId) {
  try {
    const { subscriptionId, clientSecret } = await api('/create-subscription', {
      method: 'POST',
      body: JSON.stringify({ priceId }),
    });
    sessionStorage.setItem('subscriptionId', subscriptionId);
    sessionStorage.setItem('clientSecret', clientSecret);
    window.location.href = '/subscribe.html';
  } catch (error) {
    say(error.message, 'error');
  }
}

api('/config?currency=usd&interval=month').then(
  ({ prices }) => {
    if (prices.length === 0) list.textContent = 'No prices are configured yet.';
    for (const price of prices) {
      const button = el('button', { type: 'button', text: `Select ${price.product.name}` });
      button.addEventListener('click', () => choose(price.id));
      list.append(
        el('div', { class: 'card price' }, [
          el('h2', { text: price.product.name }),
          el('p', { class: 'amount' }, [
            money(price.unit_amount, price.currency),
            el('small', { text: ` / ${price.recurring.interval}` }),
          ]),
          button,
        ]),
      );
    }
  },
  (error) => say(error.message, 'error'),
);

// Change plan: preview the invoice a change would make, then make it.
const subscriptionId = new URLSearchParams(window.location.search).get('subscription');
const list = document.querySelector('#price-list');
const preview = document.querySelector('#preview');
let chosen = null;

async function showPreview(price) {
  chosen = price;
  say('');
  try {
    const query = new URLSearchParams({ subscriptionId, newPriceLookupKey: price.lookup_key });
    const { invoice } = await api(`/invoice-preview?${query}`);
    document.querySelector('#preview-text').textContent =
      `${price.product.name}: ${money(invoice.amount_due, invoice.currency)} due on the next invoice.`;
    preview.hidden = false;
  } catch (error) {
    say(error.message, 'error');
  }
}

document.querySelector('#confirm').addEventListener('click', async () => {
  try {
    await api('/update-subscription', {
      method: 'POST',
      body: JSON.stringify({ subscriptionId, newPriceLookupKey: chosen.lookup_key }),
    });
    window.location.href = '/account.html';
  } catch (error) {
    say(error.message, 'error');
  }
});

api('/config?currency=usd&interval=month').then(
  ({ prices }) => {
    for (const price of prices) {
      const button = el('button', {
        type: 'button',
        class: 'secondary',
        text: `Preview ${price.product.name}`,
      });
      button.addEventListener('click', () => showPreview(price));
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

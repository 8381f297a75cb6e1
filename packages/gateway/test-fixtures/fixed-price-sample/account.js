// Account: each subscription with its status, plan, card and period end, and what can be done next.
const box = document.querySelector('#subscriptions');

Promise.all([api('/subscriptions'), api('/config')]).then(
  ([{ subscriptions }, { prices }]) => {
    const names = new Map(prices.map((price) => [price.id, price.product.name]));
    if (subscriptions.data.length === 0) {
      box.append(
        el('p', { class: 'lead' }, [
          'No subscriptions yet. ',
          el('a', { href: '/prices.html', text: 'Choose a plan' }),
        ]),
      );
    }
    for (const sub of subscriptions.data) {
      const item = sub.items.data[0];
      const last4 = sub.default_payment_method?.card?.last4 ?? '';
      const links = el('p', { class: 'links' });
      if (sub.status === 'active' || sub.status === 'trialing') {
        links.append(
          el('a', { href: `/change-plan.html?subscription=${sub.id}`, text: 'Change plan' }),
          el('a', { href: `/cancel.html?subscription=${sub.id}`, text: 'Cancel' }),
        );
      }
      box.append(
        el('section', { class: 'card subscription', 'data-id': sub.id }, [
          el('h2', { text: names.get(item?.price?.id) ?? 'Subscription' }),
          el('dl', {}, [
            el('dt', { text: 'Status' }),
            el('dd', {}, [el('span', { class: `status ${sub.status}`, text: sub.status })]),
            el('dt', { text: 'Price' }),
            el('dd', {
              text: item
                ? `${money(item.price.unit_amount, item.price.currency)} / ${item.price.recurring.interval}`
                : '',
            }),
            el('dt', { text: 'Card' }),
            el('dd', { class: 'last4', text: last4 ? `•••• ${last4}` : '—' }),
            el('dt', { text: 'Current period ends' }),
            el('dd', { text: new Date(sub.current_period_end * 1000).toDateString() }),
          ]),
          links,
        ]),
      );
    }
  },
  (error) => say(error.message, 'error'),
);

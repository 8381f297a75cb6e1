// Register: the server makes the customer and keeps who we are in a cookie.
document.querySelector('#signup-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = document.querySelector('#email').value;
  try {
    await api('/create-customer', { method: 'POST', body: JSON.stringify({ email }) });
    window.location.href = '/prices.html';
  } catch (error) {
    say(error.message, 'error');
  }
});

/* Card payment page: Stripe.js turns the card into a PaymentMethod; its id is posted with
   the form (and the CSRF token), so the server renders the result page. */
(function () {
  'use strict';
  var form = document.getElementById('pay-form');
  if (!form) { return; }
  form.hidden = false;  // hidden for browsers without JavaScript: they get the explanation
  var button = document.getElementById('pay-button');
  var errorBox = document.getElementById('card-errors');
  var field = document.getElementById('payment-method');

  function fail(message) {
    errorBox.textContent = message || form.dataset.msgFailed;
    errorBox.hidden = false;
    button.disabled = false;
  }

  if (typeof window.Stripe !== 'function') {
    fail(form.dataset.msgUnavailable);
    button.disabled = true;
    return;
  }
  var stripe = window.Stripe(form.dataset.key);

  // The bank asked for its own check (3-D Secure): run it, then show the order.
  if (form.dataset.clientSecret) {
    stripe.confirmCardPayment(form.dataset.clientSecret).then(function (result) {
      if (result && result.error) { fail(result.error.message); return; }
      var status = result && result.paymentIntent ? result.paymentIntent.status : 'processing';
      window.location.assign(form.dataset.orderUrl + '?redirect_status=' +
                             encodeURIComponent(status));
    });
  }

  var card = stripe.elements().create('card');
  card.mount('#card-element');
  if (card.on) {
    card.on('change', function (event) {
      if (event && event.error) { fail(event.error.message); } else { errorBox.hidden = true; }
    });
  }
  button.disabled = false;

  function paymentMethodId() {
    return Promise.resolve(stripe.createPaymentMethod({type: 'card', card: card}))
      .then(function (result) {
        if (result && result.paymentMethod) { return result.paymentMethod.id; }
        if (result && result.error) { throw result.error; }
        // localstripe's fake Stripe.js (development, tests) answers nothing here: its
        // card token's card works as a payment method with the fake API.
        return stripe.createToken(card).then(function (tokenResult) {
          if (!tokenResult || tokenResult.error || !tokenResult.token) {
            throw (tokenResult && tokenResult.error) || {};
          }
          return tokenResult.token.card.id;
        });
      });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    button.disabled = true;
    errorBox.hidden = true;
    paymentMethodId().then(function (id) {
      field.value = id;
      form.submit();
    }, function (error) {
      fail(error && error.type ? error.message : null);  // Stripe's own, translated message
    });
  });
}());

// The payment page: the provider's card element (Stripe.js, or localstripe's stand-in in
// development and tests) turns card details into a payment method id, which the form posts;
// the server creates and confirms the payment. When the bank asks for 3-D Secure, the page
// comes back with the payment's client secret and the provider's script runs that step, then
// the server is asked where the payment stands. Without JavaScript the form stays hidden and
// the page says why.
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("payment-form");
    if (!form || form.dataset.started) return;
    form.dataset.started = "true";
    var errors = document.getElementById("card-errors");
    var notice = document.getElementById("needs-javascript");
    var checkForm = document.getElementById("payment-check-form");
    if (typeof window.Stripe !== "function") {
      errors.textContent = "The card form could not load. Reload the page to pay, or pay later: your order is saved.";
      form.hidden = false;
      form.querySelector("button[type=submit]").disabled = true;
      return;
    }
    if (notice) notice.hidden = true;
    var stripe = window.Stripe(form.dataset.publishableKey);
    var clientSecret = form.dataset.clientSecret;
    if (clientSecret) {
      // The bank's check for a payment already confirmed on the server.
      Promise.resolve(stripe.confirmCardPayment(clientSecret)).then(function () {
        checkForm.submit();
      }, function () {
        checkForm.submit();
      });
      return;
    }
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    form.hidden = false;
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) return;
      button.disabled = true;
      errors.textContent = "";
      Promise.resolve(stripe.createToken(card)).then(function (result) {
        if (result && result.token && result.token.card) {
          form.elements.payment_method.value = result.token.card.id;
          form.submit();
          return;
        }
        var message = result && result.error && result.error.message;
        errors.textContent = message || "Check the card details and try again.";
        button.disabled = false;
      }, function () {
        errors.textContent = "The payment service is unavailable right now. Your order is saved: you can pay for it later.";
        button.disabled = false;
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

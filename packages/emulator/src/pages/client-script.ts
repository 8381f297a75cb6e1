/**
 * The pages' only script, served at `/_emulator/assets/pages.js` (the CSP allows `script-src 'self'`
 * and nothing inline). Comfort only — every form works without it: live card-number formatting, brand
 * and Luhn check, expiry formatting, inline errors before submitting, a spinner while paying, and the
 * 3-D Secure page's message to its parent frame when embedded. Plain ES2017, no build step.
 */
export const PAGES_JS = String.raw`(function () {
  'use strict';
  function digits(s) { return s.replace(/\D/g, ''); }
  function brandOf(n) {
    if (/^4/.test(n)) return 'visa';
    if (/^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))/.test(n)) return 'mastercard';
    if (/^3[47]/.test(n)) return 'amex';
    if (/^(6011|65|64[4-9])/.test(n)) return 'discover';
    return '';
  }
  function luhn(n) {
    var sum = 0;
    for (var i = 0; i < n.length; i++) {
      var d = +n[n.length - 1 - i];
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return n.length >= 12 && sum % 10 === 0;
  }
  function groups(n, brand) {
    var sizes = brand === 'amex' ? [4, 6, 5] : [4, 4, 4, 4, 3];
    var out = [], i = 0;
    for (var k = 0; k < sizes.length && i < n.length; k++) { out.push(n.slice(i, i + sizes[k])); i += sizes[k]; }
    return out.join(' ');
  }
  function setError(input, message) {
    var el = document.getElementById(input.id + '-error');
    if (el) el.textContent = message || '';
    if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
  }
  var checks = {
    card_number: function (v) {
      var n = digits(v);
      if (!n) return 'Enter your card number.';
      if (!luhn(n)) return 'Your card number is incorrect.';
      return '';
    },
    card_expiry: function (v) {
      var m = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(v);
      if (!v.trim()) return 'Enter the expiration date.';
      if (!m) return 'Enter the expiration date as MM / YY.';
      var month = +m[1], year = +m[2]; if (year < 100) year += 2000;
      if (month < 1 || month > 12) return "Your card's expiration month is invalid.";
      var now = new Date(), y = now.getUTCFullYear(), mo = now.getUTCMonth() + 1;
      if (year < y || (year === y && month < mo)) return "Your card's expiration date is in the past.";
      return '';
    },
    card_cvc: function (v, form) {
      var n = digits(v);
      var num = form.querySelector('[name=card_number]');
      var want = num && brandOf(digits(num.value)) === 'amex' ? 4 : 3;
      if (!n) return "Enter the card's security code.";
      if (n.length !== want) return "Your card's security code is incomplete.";
      return '';
    },
    card_name: function (v) { return v.trim() ? '' : 'Enter the name on the card.'; },
    email: function (v) { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.trim()) ? '' : 'Enter a valid email address.'; }
  };
  function wire(form) {
    var number = form.querySelector('[name=card_number]');
    var brandEl = form.querySelector('[data-brand]');
    if (number) {
      number.addEventListener('input', function () {
        var n = digits(number.value).slice(0, 19), b = brandOf(n);
        number.value = groups(n, b);
        if (brandEl) brandEl.textContent = b;
        if (number.getAttribute('aria-invalid') && !checks.card_number(number.value)) setError(number, '');
      });
    }
    var exp = form.querySelector('[name=card_expiry]');
    if (exp) {
      exp.addEventListener('input', function (e) {
        var n = digits(exp.value).slice(0, 4);
        if (e.inputType && e.inputType.indexOf('delete') === 0) return;
        exp.value = n.length > 2 ? n.slice(0, 2) + ' / ' + n.slice(2) : n.length === 2 ? n + ' / ' : n;
      });
    }
    var cvc = form.querySelector('[name=card_cvc]');
    if (cvc) cvc.addEventListener('input', function () { cvc.value = digits(cvc.value).slice(0, 4); });
    Object.keys(checks).forEach(function (name) {
      var input = form.querySelector('[name=' + name + ']');
      if (!input) return;
      input.addEventListener('blur', function () { if (input.value) setError(input, checks[name](input.value, form)); });
    });
    form.addEventListener('submit', function (e) {
      var submitter = e.submitter;
      if (submitter && submitter.hasAttribute('formnovalidate')) return;
      var first = null;
      Object.keys(checks).forEach(function (name) {
        var input = form.querySelector('[name=' + name + ']');
        if (!input) return;
        var msg = checks[name](input.value, form);
        setError(input, msg);
        if (msg && !first) first = input;
      });
      if (first) { e.preventDefault(); first.focus(); return; }
      var btn = form.querySelector('[data-pay-button]');
      if (btn) {
        btn.classList.add('busy');
        btn.setAttribute('aria-busy', 'true');
        var label = btn.querySelector('[data-label]');
        if (label && btn.getAttribute('data-busy-label')) label.textContent = btn.getAttribute('data-busy-label');
        setTimeout(function () { btn.disabled = true; }, 0);
      }
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('form[data-card-form]'), function (form) {
    form.setAttribute('novalidate', '');
    wire(form);
  });
  // Forms that only need the spinner (portal actions, 3-D Secure buttons).
  Array.prototype.forEach.call(document.querySelectorAll('form[data-busy]'), function (form) {
    form.addEventListener('submit', function () {
      var btn = form.querySelector('button[type=submit]');
      if (btn) { btn.classList.add('busy'); btn.setAttribute('aria-busy', 'true'); setTimeout(function () { btn.disabled = true; }, 0); }
    });
  });
  // 3-D Secure inside an iframe (?embedded=1): the result page tells the parent frame and stays put.
  var done = document.querySelector('[data-3ds-result]');
  if (done && window.parent !== window) {
    window.parent.postMessage({
      type: 'paydesk-emulator:3ds',
      intent: done.getAttribute('data-intent'),
      outcome: done.getAttribute('data-3ds-result')
    }, '*');
  }
})();
`;

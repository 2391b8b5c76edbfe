// Passkey buttons, a progressive enhancement: forms marked data-passkey stay hidden unless this
// browser can do WebAuthn. Pressing one fetches options from the server (same origin, CSRF token
// from the form), runs the ceremony with @simplewebauthn/browser, and posts the answer as JSON text
// in the form's "credential" field, so the server answers with an ordinary page.
(function () {
  'use strict';
  var lib = window.SimpleWebAuthnBrowser;
  if (!lib || !lib.browserSupportsWebAuthn()) return;

  function showError(form, text) {
    var box = form.querySelector('.passkey-error');
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }

  function fieldsOf(form) {
    var body = new URLSearchParams();
    Array.prototype.forEach.call(form.querySelectorAll('input[type="hidden"]'), function (input) {
      if (input.name !== 'credential') body.set(input.name, input.value);
    });
    return body;
  }

  function run(form) {
    var mode = form.getAttribute('data-passkey');
    var button = form.querySelector('button');
    if (button) button.disabled = true;
    fetch(form.getAttribute('data-options-url'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: fieldsOf(form).toString(),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error_description || 'The passkey request could not be started.');
        return body;
      });
    }).then(function (options) {
      return mode === 'create' ? lib.startRegistration({ optionsJSON: options }) : lib.startAuthentication({ optionsJSON: options });
    }).then(function (credential) {
      form.querySelector('input[name="credential"]').value = JSON.stringify(credential);
      form.submit();
    }).catch(function (error) {
      if (button) button.disabled = false;
      var cancelled = error && (error.name === 'NotAllowedError' || error.name === 'AbortError');
      showError(form, cancelled ? 'The passkey request was cancelled or timed out. Try again.' : (error && error.message) || 'The passkey could not be used.');
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('form[data-passkey]'), function (form) {
    form.hidden = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      run(form);
    });
  });
})();

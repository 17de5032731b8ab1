// Kassa payments SDK: window.ledyer.payments.api.authorize(authArgs) and
// close(), compatible with Ledyer's. Load it with
// <script id="ledyer-payments" src="https://KASSA/bootstrap.js"></script>.
//
// authorize opens Kassa's dialog in a full-screen iframe and returns a
// promise that resolves to {state, status, authorizationToken, authToken}
// or rejects with an Error whose code says why: invalid_args, aborted,
// closed, rejected, expired, cancelled, completed, load_failed.
(function () {
  "use strict";
  var script = document.currentScript || document.getElementById("ledyer-payments");
  var origin = new URL(script.src, location.href).origin;
  var current = null; // the open dialog

  function failure(code, message) {
    var e = new Error(message);
    e.code = code;
    return e;
  }

  function invalid(a) {
    if (!a || typeof a !== "object") return "authArgs is required";
    if (!a.sessionId || typeof a.sessionId !== "string") return "authArgs.sessionId is required";
    var c = a.customer;
    if (!c || typeof c !== "object") return "authArgs.customer is required";
    if (!c.companyId) return "authArgs.customer.companyId is required";
    if (!c.email) return "authArgs.customer.email is required";
    return "";
  }

  // settle closes the open dialog and settles its promise.
  function settle(err, result) {
    var d = current;
    if (!d) return;
    current = null;
    window.removeEventListener("message", d.onMessage);
    d.restore();
    d.overlay.remove();
    if (d.previousFocus && d.previousFocus.focus) d.previousFocus.focus();
    if (err) d.reject(err);
    else d.resolve(result);
  }

  // makeInert hides everything but the dialog from keyboard and assistive
  // technology while it is open, and returns how to undo it.
  function makeInert(overlay) {
    var changed = [];
    Array.prototype.forEach.call(document.body.children, function (el) {
      if (el !== overlay && !el.inert) {
        el.inert = true;
        changed.push(el);
      }
    });
    var overflow = document.documentElement.style.overflow;
    document.documentElement.style.overflow = "hidden";
    return function () {
      changed.forEach(function (el) { el.inert = false; });
      document.documentElement.style.overflow = overflow;
    };
  }

  function authorize(authArgs) {
    var problem = invalid(authArgs);
    if (problem) return Promise.reject(failure("invalid_args", problem));
    if (current) settle(failure("closed", "the dialog was replaced by a new authorization"));

    return new Promise(function (resolve, reject) {
      var overlay = document.createElement("div");
      overlay.setAttribute("data-kassa-dialog", "");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(15,23,42,.55);margin:0;padding:0;";
      var frame = document.createElement("iframe");
      frame.title = "Pay by invoice";
      frame.src = origin + "/payments/dialog/" + encodeURIComponent(authArgs.sessionId);
      frame.style.cssText = "position:absolute;inset:0;width:100%;height:100%;border:0;background:transparent;";
      frame.setAttribute("allow", "");
      overlay.appendChild(frame);

      var d = {
        overlay: overlay, frame: frame, resolve: resolve, reject: reject,
        previousFocus: document.activeElement,
        onMessage: function (e) {
          if (e.origin !== origin || e.source !== frame.contentWindow) return;
          var m = e.data || {};
          if (m.type === "kassa:ready") {
            d.ready = true;
            frame.contentWindow.postMessage({ type: "kassa:authArgs", customer: authArgs.customer }, origin);
          } else if (m.type === "kassa:result") {
            if (m.error) {
              settle(failure(m.error.code || "aborted", m.error.message || "the authorization did not complete"));
            } else {
              var r = m.result || {};
              settle(null, {
                state: r.state, status: r.state,
                authorizationToken: r.authorizationToken, authToken: r.authorizationToken
              });
            }
          }
        }
      };
      window.addEventListener("message", d.onMessage);
      // A dialog that loaded but never said it is ready is an error page
      // (an unknown session, say). Its ready message may still be queued
      // when the load event fires, so allow it a moment.
      frame.addEventListener("load", function () {
        setTimeout(function () {
          if (current === d && !d.ready) settle(failure("load_failed", "the dialog could not be loaded"));
        }, 3000);
      });
      document.body.appendChild(overlay);
      d.restore = makeInert(overlay);
      current = d;
      frame.focus();
    });
  }

  // close closes an open dialog; its promise rejects with code "closed".
  // Authorizing again then runs a new risk assessment.
  function close() {
    settle(failure("closed", "the dialog was closed"));
  }

  window.ledyer = window.ledyer || {};
  window.ledyer.payments = window.ledyer.payments || {};
  window.ledyer.payments.api = { authorize: authorize, close: close };
})();

// Kassa payments SDK: window.ledyer.payments.api.authorize(authArgs) and
// close(), compatible with Ledyer's. Load it with
// <script id="ledyer-payments" src="https://KASSA/bootstrap.js"></script>.
//
// authorize opens Kassa's dialog in a full-screen iframe and returns a
// promise that resolves to {state, status, authorizationToken, authToken}
// or rejects with an Error whose code says why: invalid_args, aborted,
// closed, rejected, expired, cancelled, completed, load_failed,
// outcome_unknown; its detail says more ({reason, sessionId, …}). A
// purchase the buyer placed always resolves, however the dialog closes.
(function () {
  "use strict";
  var script = document.currentScript || document.getElementById("ledyer-payments");
  var origin = new URL(script.src, location.href).origin;
  var current = null; // the dialog being opened or open

  function failure(code, message, detail) {
    var e = new Error(message);
    e.code = code;
    if (detail) e.detail = detail;
    return e;
  }

  // report tells the shop's developer in the console why a checkout could
  // not go on; what the buyer chose (aborted, rejected) and close() are not
  // worth a message.
  function report(e) {
    if (e.code === "load_failed" || e.code === "outcome_unknown") console.error("Kassa: " + e.message, e.detail);
    else if (e.code === "expired" || e.code === "cancelled" || e.code === "completed") console.warn("Kassa: " + e.message, e.detail);
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

  function result(r) {
    return { state: r.state, status: r.state, authorizationToken: r.authorizationToken, authToken: r.authorizationToken };
  }

  function dialogURL(d, path) {
    return origin + "/payments/dialog/" + encodeURIComponent(d.sessionId) + path;
  }

  // dismiss takes the dialog off the page, leaving its promise to settle.
  function dismiss(d) {
    if (current === d) current = null;
    if (!d.overlay) return;
    window.removeEventListener("message", d.onMessage);
    d.observer.disconnect();
    d.restore();
    d.overlay.remove();
    if (d.previousFocus && d.previousFocus.focus) d.previousFocus.focus();
  }

  // settle ends the dialog with what it told, or with err.
  function settle(d, err, r) {
    dismiss(d);
    if (err) {
      report(err);
      d.reject(err);
    } else {
      d.resolve(result(r));
    }
  }

  // end ends the dialog without its word: close(), a new authorize, or a
  // page that lost the frame. If the dialog had opened, the buyer may have
  // placed the purchase, even in a request still on its way: Kassa closes
  // the dialog, so that such a request is refused, and says what it placed.
  function end(d, code, reason, message) {
    dismiss(d);
    var err = failure(code, message, { reason: reason, sessionId: d.sessionId });
    if (!d.token) return settle(d, err);
    fetch(dialogURL(d, "/close"), {
      method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json", "X-Kassa-Dialog": d.token },
      body: "{}"
    }).then(function (resp) {
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return resp.json();
    }).then(function (o) {
      if (o.state === "none") settle(d, err);
      else settle(d, null, o);
    }, function (e) {
      settle(d, failure("outcome_unknown", "the dialog of payment session " + d.sessionId + " was closed (" + message +
        "), and Kassa at " + origin + " could not be asked whether the buyer had placed the purchase (" + e.message +
        "); read the session on your backend (GET /v1/payment-sessions/" + d.sessionId + ") or wait for its notification",
        { reason: reason, sessionId: d.sessionId }));
    });
  }

  // check asks Kassa whether this page can show the session's dialog, so
  // that a mistake is explained (and nothing raw is shown) instead of a
  // frame the browser refuses. It resolves to the failure, or null.
  function check(d) {
    var detail = function (reason, more) {
      var v = { reason: reason, sessionId: d.sessionId };
      Object.keys(more || {}).forEach(function (k) { v[k] = more[k]; });
      return v;
    };
    var session = "payment session " + d.sessionId;
    return fetch(dialogURL(d, "/status"), { credentials: "omit", cache: "no-store" }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (v) {
        if (resp.status === 404) {
          return failure("load_failed", "Kassa at " + origin + " has no " + session +
            ": create the session on your backend against this Kassa (the one bootstrap.js comes from) and pass its id", detail("unknown_session"));
        }
        if (!resp.ok) {
          var e = (v.errors && v.errors[0]) || {};
          return failure("load_failed", "Kassa at " + origin + " answered " + resp.status + " for " + session + ": " + (e.message || resp.statusText), detail("unavailable"));
        }
        var allowed = [origin].concat(v.frameOrigins);
        if (allowed.indexOf(location.origin) < 0) {
          var named = v.frameOrigins.length ?
            "its " + v.frameOriginsFrom + " names " + v.frameOrigins.join(", ") :
            "it has neither settings.urls.confirmation nor settings.urls.notification";
          return failure("load_failed", session + " cannot be shown on this page: this page's origin is " + location.origin +
            ", but " + named + ". Create the session with settings.urls.confirmation on this page's origin",
            detail("origin_not_allowed", { pageOrigin: location.origin, allowedOrigins: allowed }));
        }
        switch (v.state) {
          case "open": return null;
          case "expired": return failure("expired", session + " expired at " + v.expiresAt + "; create a new one", detail("expired", { expiresAt: v.expiresAt }));
          case "cancelled": return failure("cancelled", session + " was cancelled; create a new one", detail("cancelled"));
          default: return failure("completed", session + " is completed: it has an order, awaits a signatory, or a signatory approved it", detail("completed"));
        }
      });
    }, function (e) {
      return failure("load_failed", "Kassa at " + origin + " could not be reached (" + e.message + ")", detail("unreachable"));
    });
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

  // open frames the dialog. The page speaks first (the buyer's details, to
  // Kassa's origin alone); the dialog answers ready, with the token that
  // lets end ask Kassa about it, or at once with its result.
  function open(d) {
    var overlay = document.createElement("div");
    overlay.setAttribute("data-kassa-dialog", "");
    overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(15,23,42,.55);margin:0;padding:0;";
    var frame = document.createElement("iframe");
    frame.title = "Pay by invoice";
    frame.src = dialogURL(d, "");
    frame.style.cssText = "position:absolute;inset:0;width:100%;height:100%;border:0;background:transparent;";
    frame.setAttribute("allow", "");
    overlay.appendChild(frame);
    d.overlay = overlay;
    d.previousFocus = document.activeElement;
    d.onMessage = function (e) {
      if (current !== d || e.origin !== origin || e.source !== frame.contentWindow) return;
      var m = e.data || {};
      if (m.type === "kassa:ready") {
        d.token = m.token;
      } else if (m.type === "kassa:result") {
        if (m.error) {
          var code = m.error.code || "aborted";
          settle(d, failure(code, m.error.message || "the authorization did not complete", { reason: code, sessionId: d.sessionId }));
        } else {
          settle(d, null, m.result || {});
        }
      }
    };
    window.addEventListener("message", d.onMessage);
    // A page may take the dialog away without close() (it re-renders, say).
    d.observer = new MutationObserver(function () {
      if (current === d && !frame.isConnected) end(d, "closed", "frame_removed", "the dialog's frame was removed from the page");
    });
    d.observer.observe(document.documentElement, { childList: true, subtree: true });
    frame.addEventListener("load", function () {
      if (current !== d) return;
      if (d.token) { // the frame left the dialog that had answered
        end(d, "closed", "frame_removed", "the dialog's frame went to another page");
        return;
      }
      frame.contentWindow.postMessage({ type: "kassa:authArgs", customer: d.customer }, origin);
      // The status said the dialog can open, so a frame that loaded and
      // does not answer at once is a page the browser put in its place (a
      // network error, say): the console says which.
      setTimeout(function () {
        if (current === d && !d.token) {
          settle(d, failure("load_failed", "the dialog of payment session " + d.sessionId + " loaded but did not answer; the browser console says why",
            { reason: "no_answer", sessionId: d.sessionId }));
        }
      }, 3000);
    });
    document.body.appendChild(overlay);
    d.restore = makeInert(overlay);
    frame.focus();
  }

  function authorize(authArgs) {
    var problem = invalid(authArgs);
    if (problem) return Promise.reject(failure("invalid_args", problem));
    if (current) end(current, "closed", "replaced", "the dialog was replaced by a new authorization");
    return new Promise(function (resolve, reject) {
      var d = { sessionId: authArgs.sessionId, customer: authArgs.customer, resolve: resolve, reject: reject };
      current = d;
      check(d).then(function (err) {
        if (current !== d) return; // closed or replaced meanwhile
        if (err) settle(d, err);
        else open(d);
      });
    });
  }

  // close closes an open dialog; its promise rejects with code "closed",
  // unless the buyer had placed the purchase. Authorizing again then runs a
  // new risk assessment.
  function close() {
    if (current) end(current, "closed", "close_called", "the page closed the dialog");
  }

  window.ledyer = window.ledyer || {};
  window.ledyer.payments = window.ledyer.payments || {};
  window.ledyer.payments.api = { authorize: authorize, close: close };
})();

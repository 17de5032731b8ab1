// The authorization dialog. It talks to the merchant page that framed it
// (bootstrap.js) with postMessage, only with the origins the server allows
// to frame it, and to Kassa with same-origin requests carrying the
// dialog's token.
(function () {
  "use strict";
  var root = document.getElementById("dialog");
  var sessionId = root.dataset.session;
  var token = root.dataset.token;
  var origins = [location.origin].concat(JSON.parse(root.dataset.origins || "[]"));
  var $ = function (id) { return document.getElementById(id); };
  var customer = null;
  var settled = false;

  // tell sends a message to the page that framed the dialog, whichever of
  // the allowed origins it is; the browser drops it for any other.
  function tell(message) {
    if (window.parent === window) return;
    origins.forEach(function (o) { window.parent.postMessage(message, o); });
  }

  function finish(result, error) {
    if (settled) return;
    settled = true;
    tell({ type: "kassa:result", result: result, error: error });
  }

  function abort(code, message) {
    finish(null, { code: code, message: message });
  }

  function showError(message) {
    var e = $("error");
    e.textContent = message;
    e.hidden = false;
  }

  function post(path, body) {
    return fetch("/payments/dialog/" + encodeURIComponent(sessionId) + "/" + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Kassa-Dialog": token },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var e = (data.errors && data.errors[0]) || {};
          var err = new Error(e.message || "Something went wrong. Please try again.");
          err.code = e.code;
          throw err;
        }
        return data;
      });
    });
  }

  function assess() {
    post("assess", { customer: customer }).then(function (a) {
      $("company-name").textContent = a.companyName || "Your company";
      $("company-id").textContent = a.companyId;
      $("buyer").hidden = false;
      if (a.outcome === "rejected") {
        root.dataset.outcome = "rejected";
        $("status").textContent = "Invoice payment is not available for this purchase.";
        showError("Declined: " + a.reason + ".");
        $("leave").hidden = false;
        $("leave").focus();
        return;
      }
      root.dataset.outcome = a.outcome;
      $("signatory-note").hidden = a.outcome !== "signatory";
      $("advance-choice").hidden = a.paymentMethods.indexOf("advanceInvoice") < 0;
      $("status").textContent = "Your company can pay by invoice. Review the order and confirm.";
      $("confirm-form").hidden = false;
      $("confirm").focus();
    }, function (err) {
      $("status").textContent = "";
      showError(err.message);
      $("leave").hidden = false;
    });
  }

  $("confirm-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var button = $("confirm");
    button.disabled = true;
    $("error").hidden = true;
    $("status").textContent = "Confirming…";
    var method = document.querySelector("input[name=paymentMethod]:checked").value;
    post("confirm", { customer: customer, paymentMethod: method }).then(function (r) {
      if (r.state === "awaitingSignatory") {
        $("confirm-form").hidden = true;
        $("status").textContent = "A signatory must approve this purchase.";
        $("signing-link").href = r.signatoryUrl;
        $("signing-link").textContent = r.signatoryUrl;
        $("signatory").hidden = false;
        $("done").focus();
        $("done").onclick = function () { finish({ state: r.state }); };
        return;
      }
      $("status").textContent = "Purchase confirmed.";
      finish({ state: r.state, authorizationToken: r.authorizationToken });
    }, function (err) {
      button.disabled = false;
      $("status").textContent = "";
      showError(err.message);
      button.focus();
    });
  });

  $("cancel").addEventListener("click", function () {
    abort(root.dataset.outcome === "rejected" ? "rejected" : "aborted", "the buyer left the dialog");
  });
  $("leave").addEventListener("click", function () {
    abort(root.dataset.outcome === "rejected" ? "rejected" : "aborted", "the buyer left the dialog");
  });

  // Keyboard: Escape leaves, Tab stays inside the dialog.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      $("cancel").click();
      return;
    }
    if (e.key !== "Tab") return;
    var focusable = Array.prototype.filter.call(
      root.querySelectorAll("button, a[href], input, [tabindex]:not([tabindex='-1'])"),
      function (el) { return !el.disabled && el.offsetParent !== null; });
    if (focusable.length === 0) return;
    var first = focusable[0], last = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      last.focus();
      e.preventDefault();
    } else if (!e.shiftKey && document.activeElement === last) {
      first.focus();
      e.preventDefault();
    }
  });

  window.addEventListener("message", function (e) {
    if (e.source !== window.parent || origins.indexOf(e.origin) < 0) return;
    var m = e.data || {};
    if (m.type !== "kassa:authArgs" || customer) return;
    customer = m.customer;
    assess();
  });

  $("title").focus();
  var state = root.dataset.state;
  if (state !== "open") {
    // Nothing to do here: tell the merchant page why, as the SDK rejects.
    abort(state, $("status").textContent);
    return;
  }
  tell({ type: "kassa:ready" });
})();

// The authorization dialog. It talks to the merchant page that framed it
// (bootstrap.js) with postMessage, and to Kassa with same-origin requests
// carrying the dialog's token.
//
// The page speaks first: it sends the buyer's details, and the dialog
// answers to that message's origin alone, once it checked that the origin
// may frame it. Posting to the other allowed origins would make the
// browser warn in the console for each message.
(function () {
  "use strict";
  var root = document.getElementById("dialog");
  var sessionId = root.dataset.session;
  var token = root.dataset.token;
  var origins = [location.origin].concat(JSON.parse(root.dataset.origins || "[]"));
  var $ = function (id) { return document.getElementById(id); };
  var customer = null;
  var pageOrigin = ""; // the framing page's origin, once it spoke
  var settled = false;
  // In live mode the buyer names the signatory instead of getting a link.
  var signatories = root.dataset.signatories === "email";
  // The page's messages in the buyer's language (package i18n's "js.").
  var messages = JSON.parse(root.dataset.messages || "{}");
  function t(key) {
    var s = messages[key] || key;
    var args = arguments;
    for (var i = 1; i < args.length; i++) s = s.replace(/%[sd]/, function () { return String(args[i]); });
    return s;
  }

  // What Confirm did. The dialog may close only once it knows: the page
  // must learn of a purchase that was placed whichever way the buyer left.
  var confirming = null; // the confirm request in flight
  var placed = null;     // the result of a confirm that placed the purchase
  var unsure = false;    // a confirm got no answer: only Kassa knows what it did
  var leaving = false;

  function tell(message) {
    if (pageOrigin) window.parent.postMessage(message, pageOrigin);
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
          var err = new Error(e.message || t("error"));
          err.code = e.code;
          err.answered = resp.status < 500; // refused: the request changed nothing
          throw err;
        }
        return data;
      });
    });
  }

  // checked ends the company check's busy state: its result, in the same
  // place, shows (ok) or the place goes.
  function checked(ok) {
    $("check").setAttribute("aria-busy", "false");
    $("check").hidden = !ok;
  }

  function assess() {
    post("assess", { customer: customer }).then(function (a) {
      if (leaving) return;
      $("company-name").textContent = a.companyName || t("yourCompany");
      $("company-id").textContent = a.companyId;
      checked(true);
      if (a.outcome === "rejected") {
        root.dataset.outcome = "rejected";
        $("status").textContent = t("rejected");
        showError(t("declined", a.reason));
        // The next step: the buyer can still buy, another way.
        $("next-step").hidden = false;
        $("leave").textContent = $("leave").dataset.rejected;
        $("leave").className = "primary";
        $("leave").hidden = false;
        $("leave").focus();
        return;
      }
      root.dataset.outcome = a.outcome;
      if (signatories) {
        // The buyer names the signatory, who gets the link by e-mail.
        $("signatory-fields").hidden = $("signatory-fields").disabled = a.outcome !== "signatory";
      } else {
        $("signatory-note").hidden = a.outcome !== "signatory";
      }
      $("advance-choice").hidden = a.paymentMethods.indexOf("advanceInvoice") < 0;
      $("status").textContent = t("canPay");
      $("confirm-form").hidden = $("confirm").hidden = false;
      $("confirm").focus();
    }, function (err) {
      if (leaving) return;
      checked(false);
      $("status").textContent = "";
      showError(err.message);
      $("leave").hidden = false;
    });
  }

  $("confirm-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (confirming || leaving) return;
    var button = $("confirm");
    button.disabled = true;
    $("error").hidden = true;
    $("status").textContent = t("confirming");
    var method = document.querySelector("input[name=paymentMethod]:checked").value;
    var body = { customer: customer, paymentMethod: method };
    if (signatories && !$("signatory-fields").disabled) {
      body.signatory = { name: $("signatory-name").value, email: $("signatory-email").value };
    }
    confirming = post("confirm", body).then(function (r) {
      placed = { state: r.state, authorizationToken: r.authorizationToken };
      if (leaving) return; // leave finishes with it
      if (r.state === "awaitingSignatory") {
        $("confirm-form").hidden = $("confirm").hidden = true;
        $("status").textContent = t("signatoryMust");
        if (!signatories) {
          $("signing-link").href = r.signatoryUrl;
          $("signing-link").textContent = r.signatoryUrl;
        }
        $("signatory").hidden = false;
        $("done").focus();
        return;
      }
      $("status").textContent = t("confirmed");
      finish(placed);
    }, function (err) {
      unsure = unsure || !err.answered;
      if (leaving) return;
      button.disabled = false;
      $("status").textContent = "";
      showError(err.message);
      button.focus();
    }).then(function () { confirming = null; });
  });

  // leave ends the dialog the buyer's way (×, Escape, Back): with the
  // purchase if one was placed, so the page can act on it (a pending order
  // for a signatory), after a confirm still in flight has answered, and
  // after asking Kassa when a confirm got no answer.
  function leave() {
    if (leaving || settled) return;
    leaving = true;
    var code = root.dataset.outcome === "rejected" ? "rejected" : "aborted";
    $("confirm").disabled = true;
    (confirming || Promise.resolve()).then(function () {
      if (placed) return finish(placed);
      if (!unsure) return abort(code, "the buyer left the dialog");
      $("status").textContent = t("closing");
      return post("close", {}).then(function (o) {
        if (o.state === "none") abort(code, "the buyer left the dialog");
        else finish({ state: o.state, authorizationToken: o.authorizationToken });
      }, function () {
        abort("outcome_unknown", "the buyer left the dialog while Kassa could not be reached; the purchase may have been placed");
      });
    });
  }

  $("cancel").addEventListener("click", leave);
  $("leave").addEventListener("click", leave);
  $("done").addEventListener("click", leave);

  // Keyboard: Escape leaves, Tab stays inside the dialog.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      leave();
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
    if (m.type !== "kassa:authArgs" || pageOrigin) return;
    pageOrigin = e.origin;
    var state = root.dataset.state;
    if (state !== "open") {
      // Nothing to do here: tell the merchant page why, as the SDK rejects.
      abort(state, $("status").textContent);
      return;
    }
    customer = m.customer;
    // The token lets the page ask Kassa what this dialog placed, should the
    // dialog go away before it could tell.
    tell({ type: "kassa:ready", token: token });
    assess();
  });

  $("title").focus();
})();

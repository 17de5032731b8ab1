// The demo shop's page script: what a merchant's checkout page does with
// the payments SDK. window.kassaDemo exposes its steps for the browser tests
// and for trying things by hand in the console.
(function () {
  "use strict";
  var api = window.ledyer.payments.api;
  var $ = function (id) { return document.getElementById(id); };
  var sessionId = "";
  var result = $("result");
  var root = $("demo");
  // The page's messages in its language (package i18n's "demo.js.").
  var messages = JSON.parse(root.dataset.messages || "{}");
  // t is the message key with its verbs filled in by the arguments after
  // it, which the caller escaped: the result is HTML.
  function t(key) {
    var s = messages[key] || key;
    var args = arguments;
    for (var i = 1; i < args.length; i++) s = s.replace(/%[sd]/, function () { return String(args[i]); });
    return s;
  }

  function backend(action, body) {
    return fetch("/demo/shop/" + action, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (data) {
        if (!resp.ok) throw new Error((data.errors && data.errors[0].message) || resp.statusText);
        return data;
      });
    });
  }

  function show(kind, html, data) {
    result.className = kind;
    result.textContent = "";
    result.insertAdjacentHTML("beforeend", html);
    Object.keys(result.dataset).forEach(function (k) { delete result.dataset[k]; });
    Object.keys(data || {}).forEach(function (k) { result.dataset[k] = data[k]; });
    // The result is below the form: bring it into view.
    result.scrollIntoView({ block: "nearest" });
  }

  function text(s) {
    var d = document.createElement("div");
    d.textContent = s;
    return d.innerHTML;
  }

  // customer collects the buyer's details; missing ones stop the checkout
  // before the SDK is called at all.
  function customer() {
    var v = function (id) { return $(id).value.trim(); };
    var missing = ["companyName", "email", "firstName", "lastName", "streetAddress", "postalCode", "city"].filter(function (id) { return !v(id); });
    if (missing.length) return { missing: missing };
    var address = { companyName: v("companyName"), streetAddress: v("streetAddress"), postalCode: v("postalCode"), city: v("city"), country: "SE" };
    return {
      companyId: v("companyId"), email: v("email"), firstName: v("firstName"), lastName: v("lastName"),
      phone: v("phone"), reference1: "", reference2: "", billingAddress: address,
      shippingAddress: Object.assign({ contact: { email: v("email"), firstName: v("firstName"), lastName: v("lastName"), phone: v("phone") } }, address)
    };
  }

  function quantity() { return parseInt($("quantity").value, 10) || 1; }

  var attempt = 0; // the latest authorize

  function authorize(c) {
    var mine = ++attempt;
    return api.authorize({ sessionId: sessionId, customer: c }).then(function (auth) {
      if (auth.state === "authorized") {
        return backend("order", { token: auth.authorizationToken, customer: c }).then(function (o) {
          sessionId = "";
          show("ok", "<p><strong>" + text(t("placed")) + "</strong> " + t("placedText", "<code>" + text(o.orderId) + "</code>", "<code>" + text(auth.authorizationToken) + "</code>") + "</p>",
            { state: "ordered", orderId: o.orderId, token: auth.authorizationToken });
        });
      }
      if (auth.status === "awaitingSignatory") {
        return backend("pending", { sessionId: sessionId }).then(function (p) {
          show("pending", "<p><strong>" + text(t("pending")) + "</strong> " + t("pendingText", "<code>" + text(p.sessionId) + "</code>") +
            " <a id=\"signing\" href=\"" + text(p.signatoryUrl) + "\">" + text(p.signatoryUrl) + "</a></p>" +
            "<p><button type=\"button\" id=\"check\">" + text(t("check")) + "</button></p>",
            { state: "pending", sessionId: p.sessionId, signatoryUrl: p.signatoryUrl });
          $("check").onclick = function () { complete(p.sessionId); };
        });
      }
    }).catch(function (err) {
      // A dialog the shop replaced by authorizing again is no failure; a
      // purchase placed in it still resolves above.
      if (err.code === "closed" && mine !== attempt) return;
      var next = err.code === "rejected" ? "<p>" + text(t("otherWay")) + "</p>" : "";
      show("error", "<p class=\"error\">" + t("notPaid", text(err.message), text(err.code || "error")) + "</p>" + next,
        { state: "failed", code: err.code || "error" });
    });
  }

  // complete does what the merchant's notification handler does once the
  // signatory has signed: create the order from the session's token.
  function complete(id) {
    return backend("complete", { sessionId: id }).then(function (p) {
      if (p.orderId) {
        show("ok", "<p><strong>" + text(t("signed")) + "</strong> " + t("created", "<code>" + text(p.orderId) + "</code>") + "</p>", { state: "ordered", orderId: p.orderId });
      } else {
        show("pending", "<p>" + t("noOrder", "<strong>" + text(p.state) + "</strong>") + "</p>", { state: p.state });
      }
    });
  }

  function pay() {
    var c = customer();
    if (c.missing) {
      show("error", "<p class=\"error\">" + t("fillIn", text(c.missing.join(", "))) + "</p>", { state: "incomplete" });
      return Promise.resolve();
    }
    var start = sessionId ? Promise.resolve() : backend("session", { quantity: quantity(), lang: root.dataset.lang }).then(function (s) { sessionId = s.sessionId; });
    return start.then(function () { return authorize(c); });
  }

  // updateCart changes the cart while the dialog may be open: update the
  // session on the backend, close the dialog and authorize again, which
  // runs a new risk assessment.
  function updateCart(qty) {
    $("quantity").value = qty;
    return backend("update", { sessionId: sessionId, quantity: qty }).then(function () {
      api.close();
      return authorize(customer());
    });
  }

  $("checkout").addEventListener("submit", function (e) {
    e.preventDefault();
    pay();
  });
  window.kassaDemo = {
    pay: pay, updateCart: updateCart, complete: complete,
    sessionId: function () { return sessionId; },
    setSession: function (id) { sessionId = id; }
  };
})();

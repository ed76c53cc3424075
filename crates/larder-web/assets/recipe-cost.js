// The recipe form's live cost: as the cook types, post the form (never saving it) to
// /recipes/cost, which costs it on the server exactly, and show the batch cost and the cost
// per yield unit it answers. Text only (textContent): nothing the server sends is parsed as
// HTML. Without this script the form's "Work out cost" button does the same.
(function () {
  "use strict";
  var form = document.getElementById("recipe-form");
  var out = document.getElementById("live-cost");
  if (!form || !out) { return; }
  var timer = null;
  var asked = 0;
  function show(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = text; }
  }
  function update() {
    var mine = ++asked;
    out.setAttribute("aria-busy", "true");
    fetch(out.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: new URLSearchParams(new FormData(form))
    })
      .then(function (r) { return r.json(); })
      .then(function (c) {
        if (mine !== asked) { return; }
        show("batch-cost", c.batch_cost);
        show("unit-cost", c.per_unit);
        show("cost-note", c.note || "");
        out.setAttribute("data-updated", String(mine));
        out.removeAttribute("aria-busy");
      })
      .catch(function () { out.removeAttribute("aria-busy"); });
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();

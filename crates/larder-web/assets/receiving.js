// Receiving at the back door. A keyboard-wedge scanner types a code and Enter into the scan
// box (or the camera reads one; both through scan.js, ADR 018): this finds the order line in
// the page (no page load), scrolls to it, focuses its packs box and counts one pack per scan:
// the first scan of a line starts its count at 1 (the box held what was still to come), each
// further scan adds one. A code the page knows (a line's GTIN or SKU) is matched here at
// once; anything else (a GS1 element string with lot and expiry) is resolved by the server,
// and its lot and expiry fill the line. Without this script the scan box is a plain form and
// the server finds the line.
//
// Enter in a line's boxes never confirms the delivery: the scanner types wherever the focus
// is, so a code typed into a box (eight digits or more) is taken back out and read as a scan,
// and any other Enter returns to the scan box.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var box = document.getElementById("scan");
  var receipt = document.getElementById("receipt");
  var result = document.getElementById("scan-result");
  if (!form || !box || !receipt || !result) { return; }

  // As the server compares codes: a GTIN without leading zeros, anything else in upper case.
  function normalize(code) {
    code = code.trim();
    if (/^[0-9]+$/.test(code)) { return code.replace(/^0+(?=.)/, ""); }
    return code.toUpperCase();
  }

  function cards() {
    return Array.prototype.slice.call(receipt.querySelectorAll(".line-card"));
  }

  function find(code) {
    var c = normalize(code);
    return cards().filter(function (card) {
      return (card.getAttribute("data-codes") || "").split(" ").indexOf(c) !== -1;
    })[0];
  }

  // One more pack, exactly (packs may have three decimals).
  function plusOne(text) {
    var m = /^([0-9]+)(?:\.([0-9]{1,3}))?$/.exec(text.trim());
    if (!m) { return "1"; }
    var t = Number(m[1]) * 1000 + Number(((m[2] || "") + "000").slice(0, 3)) + 1000;
    var frac = t % 1000;
    return frac ? Math.floor(t / 1000) + "." + String(frac + 1000).slice(1).replace(/0+$/, "") : String(t / 1000);
  }

  function say(text, missed) {
    result.textContent = text;
    result.hidden = !text;
    result.classList.toggle("error", !!missed);
  }

  // A resolved scan (scan.js's larder:scan): the line of its GTIN, with its lot and expiry.
  function scanned(detail) {
    var card = detail.gtin ? find(detail.gtin) : null;
    if (!card) {
      var code = detail.code || "";
      var gtin = detail.gtin ? normalize(detail.gtin) : code;
      cards().forEach(function (c) { c.classList.remove("scanned"); });
      say(detail.error && !detail.gtin ? detail.error :
        "No line on this order has " + (/^[0-9]+$/.test(gtin) ? "GTIN " : "SKU ") + gtin + ".", true);
      box.focus();
      return;
    }
    var lot = card.querySelector("input[id^=lot-]");
    var expires = card.querySelector("input[id^=expires-]");
    if (lot && detail.lot) { lot.value = detail.lot; }
    if (expires && detail.expiry) { expires.value = detail.expiry; }
    count(card);
  }

  function scan(code) {
    code = code.trim();
    if (!code) { return; }
    var card = find(code);
    cards().forEach(function (c) { c.classList.remove("scanned"); });
    if (!card) {
      say("No line on this order has " + (/^[0-9]+$/.test(code) ? "GTIN " : "SKU ") + code + ".", true);
      box.focus();
      return;
    }
    count(card);
  }

  function count(card) {
    cards().forEach(function (c) { c.classList.remove("scanned"); });
    var packs = card.querySelector("input[data-role=packs]");
    var weight = card.querySelector("input[data-role=quantity]");
    packs.value = card.hasAttribute("data-counted") ? plusOne(packs.value) : "1";
    card.setAttribute("data-counted", "");
    if (weight) { weight.value = ""; }
    card.classList.add("scanned");
    say(card.getAttribute("data-item") + ": " + packs.value + " scanned. Scan again for another pack.", false);
    card.scrollIntoView({ block: "center" });
    packs.focus();
    packs.select();
    packs.setAttribute("data-before", packs.value);
  }

  // The code a scanner typed into a box beside what was there: a line's code, or failing
  // that any run of eight digits or more (to be reported as not found).
  function scannedIn(value) {
    var known = [];
    cards().forEach(function (card) {
      (card.getAttribute("data-codes") || "").split(" ").forEach(function (c) {
        if (/^[0-9]{7,}$/.test(c)) { known.push(c); }
      });
    });
    var hit = known.filter(function (c) { return value.indexOf(c) !== -1; })[0];
    if (hit) { return hit; }
    var run = /[0-9]{8,}/.exec(value);
    return run ? run[0] : null;
  }

  // scan.js takes the scan box's Enter; a code a line has is counted here at once, anything
  // else goes on to the server and comes back as larder:scan.
  form.addEventListener("larder:code", function (event) {
    if (find(event.detail.code) || !window.LarderScan) {
      event.preventDefault();
      scan(event.detail.code);
    }
  });
  form.addEventListener("larder:scan", function (event) { scanned(event.detail); });
  if (!window.LarderScan) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var code = box.value;
      box.value = "";
      scan(code);
    });
  }

  receipt.addEventListener("focusin", function (event) {
    var t = event.target;
    if (t.tagName === "INPUT") { t.setAttribute("data-before", t.value); }
  });

  receipt.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.key !== "Enter" || t.tagName !== "INPUT") { return; }
    event.preventDefault();
    var before = t.getAttribute("data-before") || "";
    var typed = t.value.indexOf(before) === 0 ? t.value.slice(before.length) : t.value;
    if (t.type !== "date" && window.LarderScan && /^\(|^\]|\u001d/.test(typed)) {
      // A GS1 element string typed where the focus was: resolve it whole (lot, expiry).
      t.value = before;
      window.LarderScan.resolve(form, typed);
      return;
    }
    var code = t.type === "date" ? null : scannedIn(t.value);
    if (code) {
      t.value = t.getAttribute("data-before") || "";
      scan(code);
      return;
    }
    box.focus();
  });

  // The price box says when it differs from the order's price.
  receipt.addEventListener("input", function (event) {
    var t = event.target;
    if (t.getAttribute("data-role") !== "price") { return; }
    var card = t.closest(".line-card");
    var note = card && card.querySelector("[data-role=price-note]");
    if (!note) { return; }
    var ordered = (card.getAttribute("data-price") || "").replace(/[^0-9.]/g, "");
    note.hidden = t.value.trim() === "" || Number(t.value) === Number(ordered);
  });

  // One tap posts once; the form's key makes a resent post harmless too.
  receipt.addEventListener("submit", function () {
    var button = document.getElementById("confirm");
    if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
  });
})();

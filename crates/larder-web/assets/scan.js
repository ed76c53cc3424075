// scan.js: barcode scanning for every page that asks for a code (ADR 018).
//
// CONTRACT (pages include it with <script src="/assets/scan.js" defer> and answer through
// ui::with_script; without script the scan box stays a plain form the server handles):
//
// - Markup: a text input with the attribute `data-scan`, inside a <form>. Optional attributes
//   on that input name other inputs to fill from a resolved scan, each by id (or, failing
//   that, a CSS selector within the form):
//     data-scan-item="ID"      the item's id
//     data-scan-lot="ID"       the lot (AI 10)
//     data-scan-expiry="ID"    the expiry, YYYY-MM-DD (AI 17, else 15)
//     data-scan-quantity="ID"  the quantity in the item's base unit (a net weight converted
//                              exactly, else a case's or a count's quantity)
//   An input is filled only when the scan carries that value.
// - Keyboard wedge: a scanner types the code fast and then Enter into the scan input, which
//   submits its form; scan.js takes that submit (a person typing a code and pressing Enter is
//   the same). A GS1 FNC1 a scanner sends as Ctrl+] or the GS control key is kept as ASCII 29.
// - Camera: where the browser has BarcodeDetector and a camera, a "Scan with camera" button
//   follows the input; it opens the rear camera and reads GS1 DataMatrix, GS1-128, QR and
//   EAN/UPC codes. Elsewhere no button appears.
// - Either way, first a cancelable `larder:code` CustomEvent is fired on the form with
//   detail {code}; a page that can handle the code itself (without the server) calls
//   preventDefault() and nothing more happens. Otherwise the code is sent to
//   GET /api/v1/barcodes/resolve?code=... (the session cookie authenticates), the inputs
//   above are filled, and a `larder:scan` CustomEvent is fired on the form with detail = the
//   resolve JSON: {code, symbology, gtin, item: {id, name, base_unit} | null,
//   supplier_item_id, lot, expiry, quantity, elements: [{ai, title, value}], unmatched: [..]}.
//   `item` is null when no item has the GTIN (the API's 404 carries the same JSON); when the
//   scan cannot be read (422) or the request fails, detail is {code, item: null, error}.
// - window.LarderScan.resolve(form, code) runs the same steps for a code found elsewhere
//   (a page whose scanner typed into another box).
(function () {
  "use strict";
  var GS = String.fromCharCode(29);

  function target(form, ref) {
    if (!ref) { return null; }
    return document.getElementById(ref) || form.querySelector(ref);
  }

  function fill(form, input, detail) {
    var pairs = [
      ["data-scan-item", detail.item ? detail.item.id : null],
      ["data-scan-lot", detail.lot],
      ["data-scan-expiry", detail.expiry],
      ["data-scan-quantity", detail.quantity]
    ];
    pairs.forEach(function (p) {
      var el = target(form, input && input.getAttribute(p[0]));
      if (el && p[1] !== null && p[1] !== undefined) {
        el.value = p[1];
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function fire(form, detail) {
    form.dispatchEvent(new CustomEvent("larder:scan", { detail: detail, bubbles: true }));
  }

  function resolve(form, code) {
    code = (code || "").replace(/^[\s]+|[\s]+$/g, "");
    if (!code) { return; }
    var handled = !form.dispatchEvent(new CustomEvent("larder:code", {
      detail: { code: code }, bubbles: true, cancelable: true
    }));
    if (handled) { return; }
    var input = form.querySelector("[data-scan]");
    var url = (input && input.getAttribute("data-scan-resolve")) || "/api/v1/barcodes/resolve";
    fetch(url + "?code=" + encodeURIComponent(code), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (res) {
      return res.json().then(function (body) {
        if (res.ok) { return body; }
        if (res.status === 404 && body && body.scan) { return body.scan; }
        return { code: code, item: null, error: (body && body.detail) || ("HTTP " + res.status) };
      });
    }).catch(function (e) {
      return { code: code, item: null, error: String(e) };
    }).then(function (detail) {
      fill(form, input, detail);
      fire(form, detail);
    });
  }

  function camera(form, input) {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary scan-camera";
    button.textContent = "Scan with camera";
    input.insertAdjacentElement("afterend", button);
    button.addEventListener("click", function () {
      var detector;
      try {
        detector = new window.BarcodeDetector({
          formats: ["data_matrix", "code_128", "qr_code", "ean_13", "ean_8", "upc_a", "upc_e"]
        });
      } catch (e) {
        detector = new window.BarcodeDetector();
      }
      var panel = document.createElement("div");
      panel.className = "scan-camera-panel card";
      var video = document.createElement("video");
      video.setAttribute("playsinline", "");
      video.muted = true;
      video.style.width = "100%";
      var stop = document.createElement("button");
      stop.type = "button";
      stop.className = "secondary";
      stop.textContent = "Stop camera";
      panel.appendChild(video);
      panel.appendChild(stop);
      button.insertAdjacentElement("afterend", panel);
      var stream = null;
      var done = false;
      function close() {
        done = true;
        if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
        panel.remove();
        input.focus();
      }
      stop.addEventListener("click", close);
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          return video.play();
        })
        .then(function tick() {
          if (done) { return; }
          detector.detect(video).then(function (codes) {
            if (done) { return; }
            if (codes && codes.length) {
              var code = codes[0].rawValue;
              close();
              input.value = code;
              resolve(form, code);
            } else {
              window.setTimeout(tick, 200);
            }
          }, function () { window.setTimeout(tick, 400); });
        })
        .catch(function () { close(); });
    });
  }

  function attach(input) {
    var form = input.form;
    if (!form || input.hasAttribute("data-scan-ready")) { return; }
    input.setAttribute("data-scan-ready", "");
    // FNC1 as a control key: keep it as GS in the box, so the raw form parses.
    input.addEventListener("keydown", function (event) {
      if ((event.ctrlKey && event.key === "]") || event.key === "GroupSeparator" ||
          event.keyCode === 29) {
        event.preventDefault();
        input.setRangeText(GS, input.selectionStart, input.selectionEnd, "end");
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var code = input.value;
      input.value = "";
      resolve(form, code);
    });
    camera(form, input);
  }

  window.LarderScan = { resolve: resolve };
  Array.prototype.forEach.call(document.querySelectorAll("input[data-scan]"), attach);
})();

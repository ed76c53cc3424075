// scan-lines.js: what a scan does on a page of lines by item: the count sheet, waste, a
// transfer's send and receive pages (ADR 018). It takes scan.js's `larder:scan` (a resolved
// scan: item, quantity in its base unit) and puts it on the page's line of that item, without
// a page load. Without script the same scan box is a GET form the server answers the same way.
//
// CONTRACT (markup; load it after scan.js, both `defer`):
// - The scan form `#scan-form` holds scan.js's `input[data-scan]`; `#scan-result` (role
//   status) says what a scan did. On the form, optional: `data-hint` (a sentence added after a
//   line is filled: " Scan again to add more, then Save."), `data-missing` (the sentence
//   when nothing on the page takes the item: "{item} was not sent on this transfer."), and a
//   hidden `input[name=area]` holding the current area (below).
// - A line: an element with `data-line-item` (the item's id) and `data-line-name`, optionally
//   `data-line-area` (the storage area's id) and `data-line-area-name`, holding the box a scan
//   fills, `input[data-line-amount]`. A box with `data-line-prefilled` holds an expectation
//   (what was sent, what was asked): the first scan replaces it. Otherwise a scan fills an
//   empty box and adds to a full one, exactly: "1 ea" then "2 ea"; "1 sack" then
//   "1 sack + 2500 g" (every amount box sums parts).
// - An item no line has (optional): elements `[data-other-row]`, each with a
//   `select[data-other-item]` (option values: the row's `data-other-prefix` + the item's id)
//   and an `input[data-other-amount]`, optionally a `[data-other-area]` control set to the
//   current area. The row that has the item takes the scan (added), else the first with an
//   empty amount, else a copy of the last one when it has `data-other-grows`, else the last
//   one afresh. A row in a closed <details> opens it. `data-scan-hint` on a line or a row
//   overrides the form's `data-hint`.
// - The current area is the area of the line last focused or filled; a scan prefers the
//   item's line in that area, else its first line.
// - After htmx swaps a line in (a card saved), the scan box takes the focus.
// - Enter in a box inside a `[data-scan-lines]` container never confirms that form unless the
//   box has `data-enter-submits`: a scanner types wherever the focus is, so what was typed
//   since the box was focused, when it looks like a code (eight digits or more, a GS1 element
//   string), is taken back out and resolved as a scan; any other Enter returns to the scan
//   box.
//
// Everything is looked up when an event comes, and the listeners are on the document, once:
// a page that htmx swaps in whole (a boosted form's answer) keeps working.
(function () {
  "use strict";
  if (window.LarderScanLines) { return; }
  window.LarderScanLines = true;

  function $(id) { return document.getElementById(id); }
  function all(css, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(css));
  }
  function scanForm() { return $("scan-form"); }
  function scanBox() { var f = scanForm(); return f && f.querySelector("[data-scan]"); }

  function say(text, missed) {
    var result = $("scan-result");
    if (!result) { return; }
    result.textContent = text;
    result.hidden = !text;
    result.classList.toggle("error", !!missed);
  }

  // The current area: kept in the scan form, so a scan without script sends it too.
  function area() {
    var f = scanForm();
    var input = f && f.querySelector("input[name=area]");
    return input ? input.value : "";
  }
  function setArea(a) {
    var f = scanForm();
    var input = f && f.querySelector("input[name=area]");
    if (input && a !== null) { input.value = a; }
  }

  // Exact decimals as thousandths (at most three places), as the server keeps quantities.
  function thousandths(n) {
    var m = /^([0-9]+)(?:\.([0-9]{1,3}))?$/.exec(n);
    if (!m) { return null; }
    return Number(m[1]) * 1000 + Number(((m[2] || "") + "000").slice(0, 3));
  }
  function decimal(t) {
    var whole = Math.floor(t / 1000);
    var frac = t % 1000;
    return frac ? whole + "." + String(frac + 1000).slice(1).replace(/0+$/, "") : String(whole);
  }
  // The scan's quantity ("2500.000" of an item in g) as an amount: "2500 g".
  function amountText(q, unit) {
    var t = thousandths(String(q));
    return t === null ? "" : decimal(t) + " " + unit;
  }
  function single(text) {
    var m = /^\s*([0-9]+(?:\.[0-9]{1,3})?)\s*([a-z_]*)\s*$/i.exec(text);
    return m ? { n: thousandths(m[1]), of: m[2].toLowerCase() } : null;
  }
  // `more` added to what a box holds: summed when both are one number of one unit, else
  // joined with "+" (as the server's add_amount).
  function add(held, more) {
    held = held.trim();
    if (!held) { return more; }
    if (!more) { return held; }
    var a = single(held);
    var b = single(more);
    if (a && b && a.of === b.of && a.n + b.n <= Number.MAX_SAFE_INTEGER) {
      return decimal(a.n + b.n) + (a.of ? " " + a.of : "");
    }
    return held + " + " + more;
  }

  function mark(el) {
    all("[data-line-item], [data-other-row]").forEach(function (l) { l.classList.remove("scanned"); });
    if (el) { el.classList.add("scanned"); }
  }

  function focusBox(el, input) {
    el.scrollIntoView({ block: "center" });
    input.focus();
    input.select();
    input.setAttribute("data-before", input.value);
  }

  function hint(el) {
    var f = scanForm();
    return el.getAttribute("data-scan-hint") || (f && f.getAttribute("data-hint")) || "";
  }

  function onLine(line, item, amount) {
    var input = line.querySelector("input[data-line-amount]");
    mark(line);
    if (line.hasAttribute("data-line-area")) { setArea(line.getAttribute("data-line-area")); }
    var where = line.getAttribute("data-line-area-name");
    var name = item.name + (where ? " (" + where + ")" : "");
    if (!input) {
      say(name + ".", false);
      line.scrollIntoView({ block: "center" });
      return;
    }
    if (amount) {
      var fresh = input.hasAttribute("data-line-prefilled") && !input.hasAttribute("data-scanned");
      input.value = fresh ? amount : add(input.value, amount);
      input.setAttribute("data-scanned", "");
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    say(name + (input.value ? ": " + input.value + "." : ": type how much.") + hint(line), false);
    focusBox(line, input);
  }

  // The row an item no line has goes to, and whether it starts afresh.
  function otherRow(id) {
    var rows = all("[data-other-row]");
    if (!rows.length) { return null; }
    var value = function (r) { return (r.getAttribute("data-other-prefix") || "") + id; };
    var amountOf = function (r) { return r.querySelector("input[data-other-amount]"); };
    var hit = rows.filter(function (r) {
      var s = r.querySelector("select[data-other-item]");
      return s && s.value === value(r) && amountOf(r).value.trim() !== "";
    })[0];
    if (hit) { return { row: hit, fresh: false }; }
    var free = rows.filter(function (r) { return amountOf(r).value.trim() === ""; })[0];
    if (free) { return { row: free, fresh: true }; }
    var last = rows[rows.length - 1];
    if (!last.hasAttribute("data-other-grows")) { return { row: last, fresh: true }; }
    var copy = last.cloneNode(true);
    var n = rows.length + 1;
    all("[id]", copy).concat(copy.id ? [copy] : []).forEach(function (e) { e.id = e.id + "-" + n; });
    all("input[data-other-amount]", copy).forEach(function (e) { e.value = ""; e.removeAttribute("data-scanned"); });
    copy.classList.remove("scanned");
    last.insertAdjacentElement("afterend", copy);
    return { row: copy, fresh: true };
  }

  function onOther(found, item, amount) {
    var row = found.row;
    var select = row.querySelector("select[data-other-item]");
    var input = row.querySelector("input[data-other-amount]");
    var want = (row.getAttribute("data-other-prefix") || "") + item.id;
    select.value = want;
    if (select.value !== want) {
      say(item.name + " cannot be chosen on this page (retired, or beyond the list).", true);
      return;
    }
    select.dispatchEvent(new Event("change", { bubbles: true }));
    input.value = found.fresh ? amount : add(input.value, amount);
    var where = row.querySelector("[data-other-area]");
    if (where && area()) { where.value = area(); }
    var details = row.closest("details");
    if (details) { details.open = true; }
    mark(row);
    say(item.name + (input.value ? ": " + input.value + "." : ": type how much.") + hint(row), false);
    focusBox(row, input);
  }

  function scanned(detail) {
    var box = scanBox();
    var item = detail.item;
    if (!item) {
      mark(null);
      if (detail.error) {
        say("Cannot read the code " + detail.code + ": " + detail.error, true);
      } else if (detail.gtin) {
        say("No item has the code " + detail.gtin.replace(/^0+(?=.)/, "") + ".", true);
      } else {
        say(detail.code + " has no GTIN: no item can be found by it.", true);
      }
      if (box) { box.focus(); }
      return;
    }
    var amount = detail.quantity === null || detail.quantity === undefined ? "" : amountText(detail.quantity, item.base_unit);
    var mine = all("[data-line-item]").filter(function (l) { return l.getAttribute("data-line-item") === item.id; });
    var here = area();
    var line = mine.filter(function (l) { return here && l.getAttribute("data-line-area") === here; })[0] || mine[0];
    if (line) { onLine(line, item, amount); return; }
    var other = otherRow(item.id);
    if (other) { onOther(other, item, amount); return; }
    mark(null);
    var f = scanForm();
    say(((f && f.getAttribute("data-missing")) || "{item} is not on this page.").replace("{item}", item.name), true);
    if (box) { box.focus(); }
  }

  document.addEventListener("larder:scan", function (event) {
    if (event.target === scanForm()) { scanned(event.detail || {}); }
  });

  document.addEventListener("focusin", function (event) {
    var t = event.target;
    if (t.tagName !== "INPUT" || !t.closest("[data-scan-lines]")) { return; }
    t.setAttribute("data-before", t.value);
    var line = t.closest("[data-line-area]");
    if (line) { setArea(line.getAttribute("data-line-area")); }
  });

  // A card saved in place (htmx) is done with: the scan box takes the focus for the next
  // code (htmx would put it back on the new card's box or button, where a scanner's Enter
  // would save the card again).
  document.addEventListener("htmx:afterSwap", function (event) {
    var t = event.target;
    var box = scanBox();
    if (box && t && t.closest && t.closest("[data-line-item]")) { box.focus({ preventScroll: true }); }
  });

  // What a scanner typed into a box: a GS1 element string, or a run of eight digits or more.
  function codeIn(typed) {
    typed = typed.trim();
    if (/^\(|^\]|\u001d/.test(typed)) { return typed; }
    var run = /[0-9]{8,}/.exec(typed);
    return run ? run[0] : null;
  }

  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.key !== "Enter" || t.tagName !== "INPUT" || !t.closest("[data-scan-lines]")) { return; }
    var before = t.getAttribute("data-before") || "";
    var typed = t.value.indexOf(before) === 0 ? t.value.slice(before.length) : t.value;
    var code = t.type === "date" ? null : codeIn(typed);
    var form = scanForm();
    if (code && form && window.LarderScan) {
      event.preventDefault();
      t.value = before;
      window.LarderScan.resolve(form, code);
      return;
    }
    if (t.hasAttribute("data-enter-submits")) { return; }
    event.preventDefault();
    var box = scanBox();
    if (box) { box.focus(); }
  });
})();

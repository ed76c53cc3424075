// Sends the chosen POS export to /sales/import/upload with a progress bar, then shows the
// report the server renders. "Check" is a dry run: the server reads the file and writes nothing.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form) { return; }
  var progress = document.getElementById("progress");
  var status = document.getElementById("status");
  var report = document.getElementById("report");
  var limit = Number(form.getAttribute("data-limit")) * 1024 * 1024;

  function setBusy(busy) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = busy; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = document.getElementById("file").files[0];
    if (!file) { status.textContent = "Choose a CSV file first."; return; }
    if (file.size > limit) {
      status.textContent = "The file is larger than " + (limit / 1048576) + " MiB: split it, or use `larder import sales`.";
      return;
    }
    var dry = event.submitter && event.submitter.id === "check";
    var q = new URLSearchParams();
    q.set("location_id", document.getElementById("location").value);
    q.set("source", document.getElementById("source").value);
    if (dry) { q.set("dry_run", "1"); }
    if (document.getElementById("skip_bad_rows").checked) { q.set("skip_bad_rows", "1"); }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/sales/import/upload?" + q.toString());
    xhr.setRequestHeader("Content-Type", "text/csv");
    progress.hidden = false;
    progress.value = 0;
    setBusy(true);
    status.textContent = "Uploading " + file.name + "…";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        progress.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = "Uploading " + file.name + ": " + progress.value + " %";
      }
    });
    xhr.upload.addEventListener("load", function () {
      progress.removeAttribute("value");
      status.textContent = dry ? "Reading the file…" : "Importing…";
    });
    xhr.addEventListener("load", function () {
      setBusy(false);
      progress.hidden = true;
      status.textContent = xhr.status < 300 ? (dry ? "Checked." : "Done.") : "Refused (" + xhr.status + ").";
      // Only this page's own report (or refusal) fragment is shown; anything else (a login
      // page after a session ended, a proxy's error) is named by its status.
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") !== 0 || xhr.responseURL.indexOf("/sales/import/upload") === -1) {
        report.textContent = "";
        status.textContent = xhr.status === 200 ? "Your session has ended: log in again." : "Refused (" + xhr.status + " " + xhr.statusText + ").";
        return;
      }
      report.innerHTML = xhr.responseText;
      report.scrollIntoView({ behavior: "smooth", block: "start" });
    });
    xhr.addEventListener("error", function () {
      setBusy(false);
      progress.hidden = true;
      status.textContent = "The upload failed: check the connection and try again (tickets already imported are skipped).";
    });
    xhr.send(file);
  });
}());

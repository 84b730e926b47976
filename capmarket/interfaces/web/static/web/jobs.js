/* Job progress: polls the job's status endpoint every second and updates the page until the job finishes. */
(function () {
  "use strict";
  var card = document.querySelector("[data-job-status-url]");
  if (!card) { return; }
  var url = card.getAttribute("data-job-status-url");
  var badgeClass = { queued: "", running: "warn", succeeded: "ok", failed: "err" };

  function part(name) { return document.querySelector('[data-role="' + name + '"]'); }

  function text(name, value) { var el = part(name); if (el) { el.textContent = value; } }

  function render(job) {
    card.setAttribute("data-state", job.state);
    var state = part("state");
    state.textContent = job.state_display;
    state.className = "badge " + (badgeClass[job.state] || "");
    var bar = part("bar");
    if (job.progress.percent === null) { bar.removeAttribute("value"); } else { bar.value = job.progress.percent; }
    text("percent", job.progress.percent === null ? "" : job.progress.percent + "%");
    text("count", job.progress.total === null ? String(job.progress.done) : job.progress.done + " / " + job.progress.total);
    text("message", job.progress.message);
    text("attempts", String(job.attempts));
    if (job.finished) {
      // the server writes the finished job's result and errors as readable Japanese: show that page
      window.location.reload();
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (job) { render(job); }
        if (!job || !job.finished) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 1000); });
  }

  if (card.getAttribute("data-state") !== "succeeded" && card.getAttribute("data-state") !== "failed") {
    window.setTimeout(poll, 1000);
  }
})();

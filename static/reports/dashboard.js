// Moves the progress bars while generation, scoring and rating go on; the tables are
// computed when the page loads (reload for fresh figures), the mixed models' differences
// just after. The comparison and the planner answer in place: the page stays where it
// is, with the choices made, and its address follows them, so a reload or a shared link
// shows the same answer.
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const url = root.dataset.progressUrl;

  function show(progress) {
    for (const name of ["generation", "scoring", "rating"]) {
      document.getElementById("bar-" + name).value = progress[name];
    }
    document.getElementById("text-generation").textContent = progress.answered + "/" + progress.expected;
    document.getElementById("text-scoring").textContent = progress.scored + "/" + progress.to_score;
    document.getElementById("text-rating").textContent = progress.ratings + "/" + progress.slots;
    document.getElementById("run-status").textContent = progress.status;
    const error = document.getElementById("run-error");
    error.textContent = progress.error;
    error.hidden = !progress.error;
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const progress = await response.json();
        show(progress);
        root.dataset.polled = [progress.answered, progress.scored, progress.ratings].join(",");
      }
    } catch (error) {
      // Offline for a moment: the next poll tries again.
    }
    window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 2000);

  // --- Panels answered in place (without the script, the forms reload the page).
  async function answer(url, panel, pushed) {
    panel.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" } });
      panel.innerHTML = await response.text();
    } catch (error) {
      panel.innerHTML = '<p class="errornote">The server could not be reached; try again.</p>';
    } finally {
      panel.removeAttribute("aria-busy");
      delete panel.dataset.pending;
      panel.dataset.answered = String(Number(panel.dataset.answered || 0) + 1);
    }
    if (pushed) {
      const address = new URL(window.location.href);
      for (const [key, value] of new URL(url, address).searchParams) address.searchParams.set(key, value);
      window.history.replaceState(null, "", address);
    }
  }
  function inPlace(formId, panelId) {
    const form = document.getElementById(formId);
    const panel = document.getElementById(panelId);
    // Not form.dataset: the comparison form has a control named "dataset", which the
    // form's named properties put in its place.
    if (!form || !panel || !form.getAttribute("data-url")) return;
    const url = () => form.getAttribute("data-url") + "?" + new URLSearchParams(new FormData(form));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      answer(url(), panel, true);
    });
    if (panel.dataset.pending === "true") answer(url(), panel, false);
  }
  inPlace("compare", "comparison-panel");
  inPlace("planner", "plan-panel");
  // The mixed models' differences: no form, fetched once the page is shown.
  const differences = document.getElementById("differences");
  if (differences && differences.dataset.pending === "true") answer(differences.dataset.url, differences, false);
  // The pairwise study's ranking, likewise (a bootstrap of its votes).
  const pairwise = document.getElementById("pairwise");
  if (pairwise && pairwise.dataset.pending === "true") answer(pairwise.dataset.url, pairwise, false);
  root.dataset.ready = "true";
})();

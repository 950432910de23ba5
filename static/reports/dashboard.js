// Moves the progress bars while generation, scoring and rating go on; the tables are
// computed when the page loads (reload for fresh figures).
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
})();

// The admin's "Copy link" buttons: the invitation link goes to the clipboard in one click.
"use strict";

document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element && event.target.closest("button.copy-link");
  if (!button) return;
  const link = button.dataset.copy || "";
  try {
    await navigator.clipboard.writeText(link);
  } catch (error) {
    // No clipboard permission (an insecure origin): select the field for Ctrl+C instead.
    const field = button.parentElement && button.parentElement.querySelector("input.invitation-link");
    if (field) { field.focus(); field.select(); }
    button.textContent = "Press Ctrl+C";
    return;
  }
  button.textContent = "Copied";
});

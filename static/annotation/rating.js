// The rating page's behaviour, and the pairwise page's: keyboard scoring (or choosing),
// draft autosave (to the server, and to this browser while the server cannot be
// reached), and active-time measurement.
// Plain JS, no build step. The form still works without it (a normal POST).
"use strict";

(function () {
  const root = document.getElementById("rating");
  const form = document.getElementById("rating-form");
  if (!root || !form || root.dataset.open !== "true") return;

  // Django's JavaScript catalog (jsi18n), loaded before this script, translates; without
  // it the English text stands. Named gettext so that makemessages finds the strings.
  const gettext = (text) => (window.gettext ? window.gettext(text) : text);
  const fill = (text, values) => text.replace(/%s/g, () => String(values.shift()));
  const IDLE_LIMIT_MS = 120 * 1000; // activity older than this does not count
  const SAVE_DELAY_MS = 600;
  const HEARTBEAT_MS = 30 * 1000;
  // Revising a submitted rating: the stored rating stands until the revision is sent,
  // so nothing is autosaved as a draft.
  const revising = root.dataset.mode === "revise";
  // A pair's questions take left / right / tie / both_bad (keys 1–4, ← →), and only the
  // overall one must be answered; a rating's scales take numbers, all four required.
  const pairwise = root.dataset.kind === "pairwise";
  const itemId = root.dataset.item;
  const draftUrl = root.dataset.draftUrl;
  const storageKey = "souleval-draft:" + itemId;
  const scales = Array.from(form.querySelectorAll("fieldset.scale"));
  const statusLine = document.getElementById("draft-status");
  const activeInput = form.querySelector("input[name=active_seconds]");
  const submitButton = document.getElementById("submit");

  // --- Active time: counted only while the tab is visible and the person was active
  // within the last 120 s. The server clamps it to the lease's wall time anyway.
  let activeMs = Number(root.dataset.activeSeconds || 0) * 1000;
  let lastActivity = Date.now();
  let lastTick = Date.now();
  let sentActiveSeconds = Math.floor(activeMs / 1000);
  const markActive = () => { lastActivity = Date.now(); };
  ["keydown", "pointerdown", "pointermove", "wheel", "scroll", "touchstart", "input"].forEach(
    (name) => document.addEventListener(name, markActive, { passive: true, capture: true }));
  document.addEventListener("visibilitychange", () => {
    tick();
    if (document.visibilityState === "visible") markActive();
  });
  function tick() {
    const now = Date.now();
    const elapsed = now - lastTick;
    lastTick = now;
    if (document.visibilityState !== "visible") return;
    // Only the part of the interval that falls within the idle limit counts.
    const activeUntil = Math.min(now, lastActivity + IDLE_LIMIT_MS);
    activeMs += Math.max(0, Math.min(elapsed, activeUntil - (now - elapsed)));
  }
  const activeSeconds = () => { tick(); return Math.floor(activeMs / 1000); };
  setInterval(tick, 1000);

  // --- Drafts
  function currentDraft() {
    const draft = {};
    scales.forEach((fieldset) => {
      const checked = fieldset.querySelector("input[type=radio]:checked");
      if (checked) draft[fieldset.dataset.scale] = pairwise ? checked.value : Number(checked.value);
    });
    draft.comment = form.elements.comment.value;
    return draft;
  }
  function applyDraft(draft) {
    scales.forEach((fieldset) => {
      const value = draft[fieldset.dataset.scale];
      if (value === undefined || value === null) return;
      const wanted = pairwise ? String(value) : String(Number(value));
      const radio = Array.from(fieldset.querySelectorAll("input[type=radio]"))
        .find((input) => input.value === wanted);
      if (radio) radio.checked = true;
    });
    if (typeof draft.comment === "string") form.elements.comment.value = draft.comment;
  }
  function csrfToken() {
    const field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function say(text) { if (statusLine) statusLine.textContent = text; }

  // --- The lease's time left, counted down here from the server's expiry time.
  const leaseLeft = document.getElementById("lease-left");
  function leaseShow() {
    if (!leaseLeft || !leaseLeft.dataset.expires) return;
    const minutes = Math.floor((Date.parse(leaseLeft.dataset.expires) - Date.now()) / 60000);
    leaseLeft.textContent = minutes >= 1
      ? fill(gettext("%s min left on this item"), [minutes])
      : gettext("Your time on this item is running out");
  }
  leaseShow();
  setInterval(leaseShow, 15 * 1000);

  let saveTimer = null;
  let saving = false;
  let pending = false;
  function scheduleSave() {
    if (revising) return;
    const draft = currentDraft();
    try {
      localStorage.setItem(storageKey, JSON.stringify({ draft: draft, at: Date.now() }));
    } catch (error) { /* storage full or disabled: the server copy still works */ }
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveNow, SAVE_DELAY_MS);
  }
  async function saveNow() {
    if (revising) return;
    if (saving) { pending = true; return; }
    saving = true;
    const seconds = activeSeconds();
    try {
      const answer = await fetch(draftUrl, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ ...currentDraft(), active_seconds: seconds }),
      });
      if (answer.ok) {
        sentActiveSeconds = seconds;
        localStorage.removeItem(storageKey);
        say(fill(gettext("Draft saved %s"), [new Date().toLocaleTimeString()]));
      } else if (answer.status === 400) {
        say(fill(gettext("Draft not saved: %s"), [(await answer.text()).slice(0, 200)]));
      } else {
        say(fill(gettext("Draft kept in this browser (the server said %s)."), [answer.status]));
      }
    } catch (error) {
      say(gettext("Offline: draft kept in this browser; it is sent when the connection returns."));
    } finally {
      saving = false;
      if (pending) { pending = false; saveNow(); }
    }
  }
  // A draft left in this browser is newer than the server's (it is removed once saved).
  try {
    const stored = revising ? null : JSON.parse(localStorage.getItem(storageKey) || "null");
    if (stored && stored.draft) { applyDraft(stored.draft); say(gettext("Draft restored.")); saveNow(); }
  } catch (error) { localStorage.removeItem(storageKey); }
  form.addEventListener("change", scheduleSave);
  form.elements.comment.addEventListener("input", scheduleSave);
  window.addEventListener("online", () => { if (localStorage.getItem(storageKey)) saveNow(); });
  setInterval(() => { if (activeSeconds() !== sentActiveSeconds) saveNow(); }, HEARTBEAT_MS);

  // --- Keyboard: 0/1/2 score the focused scale and move on; arrows move; Enter or
  // Ctrl+Enter submits; S opens the skip box.
  let focused = 0;
  function focusScale(index) {
    focused = Math.max(0, Math.min(scales.length - 1, index));
    scales.forEach((fieldset, at) => fieldset.classList.toggle("focused", at === focused));
    scales[focused].focus({ preventScroll: false });
  }
  scales.forEach((fieldset, index) => {
    fieldset.addEventListener("focusin", () => {
      focused = index;
      scales.forEach((other, at) => other.classList.toggle("focused", at === index));
    });
  });
  // One focus indicator: when focus leaves the scales (the comment, a button), the
  // highlighted scale lets go too, and score keys wait until a scale has focus again.
  document.addEventListener("focusin", (event) => {
    if (!(event.target instanceof Element) || !event.target.closest("fieldset.scale")) {
      scales.forEach((fieldset) => fieldset.classList.remove("focused"));
    }
  });
  const skipBox = document.querySelector("details.skip");
  function openSkip() {
    if (!skipBox) return;
    skipBox.open = true;
    const reason = skipBox.querySelector("input[name=reason]");
    if (reason) reason.focus();
  }
  const firstUnset = () => scales.findIndex(
    (fieldset) => fieldset.dataset.required !== "false" &&
      !fieldset.querySelector("input[type=radio]:checked"));
  function choose(radio) {
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    if (pairwise) {
      // The optional questions come in order after the overall one.
      focusScale(focused + 1);
      return;
    }
    const next = firstUnset();
    focusScale(next === -1 ? focused : next);
  }
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    const target = event.target;
    const typing = target instanceof HTMLTextAreaElement ||
      (target instanceof HTMLInputElement && target.type !== "radio");
    if (typing) return;
    // Enter and Space on a focused button, link or the skip box's summary do what that
    // control does (open the skip box, follow the link), never the rating's shortcuts.
    const control = target instanceof Element && target.closest("button, a, summary, select");
    if (control) return;
    const onScales = !(target instanceof Element) || target === document.body ||
      target.closest("fieldset.scale") !== null;
    if (event.key === "s" || event.key === "S") {
      event.preventDefault();
      openSkip();
      return;
    }
    if (!onScales) return;
    const radios = Array.from(scales[focused].querySelectorAll("input[type=radio]"));
    if (pairwise && (/^[1-4]$/.test(event.key) || event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      event.preventDefault();
      const wanted = { ArrowLeft: "left", ArrowRight: "right" }[event.key];
      choose(wanted ? radios.find((input) => input.value === wanted) : radios[Number(event.key) - 1]);
    } else if (!pairwise && /^[0-9]$/.test(event.key)) {
      const radio = radios.find((input) => input.value === event.key);
      event.preventDefault();
      if (!radio) { say(fill(gettext("Scale %s has no score %s."), [scales[focused].dataset.scale, event.key])); return; }
      choose(radio);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      focusScale(focused + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter") {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    const missing = firstUnset();
    if (missing !== -1) {
      event.preventDefault();
      focusScale(missing);
      say(pairwise ? gettext("Choose which response is better first.")
        : gettext("Choose a score for every scale first."));
      return;
    }
    activeInput.value = String(activeSeconds());
    try { localStorage.removeItem(storageKey); } catch (error) { /* nothing to remove */ }
    // A second click would resend the same submission id and be stored once anyway.
    submitButton.disabled = true;
  });
  focusScale(Math.max(0, firstUnset()));
  // Keys pressed before this point went nowhere; tests (and styles) can wait for it.
  root.dataset.ready = "true";
})();

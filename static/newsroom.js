// The article workspace: turning a text selection into code-point offsets, and keyboard shortcuts.
// Everything else (saving, swapping the panel and the highlights) is htmx and server-rendered HTML.

const workspace = document.getElementById("workspace");

// htmx swaps 2xx by default; the panel also answers 409 (conflict) and 422 (form errors) with HTML that
// must be shown, while 400 from creating a claim is a message for the toast.
htmx.config.responseHandling = [
  { code: "204", swap: false },
  { code: "[23]..", swap: true },
  { code: "409", swap: true, error: false },
  { code: "422", swap: true, error: false },
  { code: "[45]..", swap: false, error: true },
];

const text = () => document.getElementById("article-text");
const panel = () => document.getElementById("claim-detail");
const csrf = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];

function codePoints(s) {
  return Array.from(s).length;
}

// The selection inside the article text as code-point offsets into the revision's text. Browsers count
// UTF-16 units; the server counts code points (the W3C rule), so an emoji is 2 units but 1 offset.
export function selectionOffsets() {
  const container = text();
  const selection = window.getSelection();
  if (!container || !selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!container.contains(range.startContainer) || !container.contains(range.endContainer)) return null;
  const before = document.createRange();
  before.setStart(container, 0);
  before.setEnd(range.startContainer, range.startOffset);
  const full = container.textContent;
  let startUnits = before.toString().length;
  let endUnits = startUnits + range.toString().length;
  // A dragged selection often takes a space or line break at either end: claim the words only.
  while (startUnits < endUnits && /\s/.test(full[startUnits])) startUnits++;
  while (endUnits > startUnits && /\s/.test(full[endUnits - 1])) endUnits--;
  if (startUnits >= endUnits) return null;
  return {
    start: codePoints(full.slice(0, startUnits)),
    end: codePoints(full.slice(0, endUnits)),
    exact: full.slice(startUnits, endUnits),
  };
}

// A message for the editor, with the way forward when there is one (a link to reload the article).
// Shown in the panel when the failed request came from it, else in the toast; never as HTML.
function say(message, { where = null, reload = false } = {}) {
  const box = where || document.getElementById("toast");
  if (!box) return;
  box.replaceChildren(document.createTextNode(message));
  if (reload) {
    const link = document.createElement("a");
    link.href = workspace.dataset.articleUrl;
    link.className = "reload";
    link.textContent = "Reload the article";
    box.append(" ", link);
  }
  box.hidden = false;
  if (box.id === "toast") {
    clearTimeout(box._timer);
    // A message with a link stays until it is used or replaced: it is the way on.
    if (!reload) box._timer = setTimeout(() => (box.hidden = true), 6000);
  }
}

function toast(message) {
  say(message);
}

function updateClaimButton() {
  const button = document.getElementById("claim-button");
  const hint = document.getElementById("selection-hint");
  if (!button) return;
  const offsets = selectionOffsets();
  button.disabled = !offsets;
  if (hint) {
    hint.textContent = offsets
      ? `“${offsets.exact.length > 60 ? offsets.exact.slice(0, 59) + "…" : offsets.exact}” — press c to claim it`
      : "Select a phrase in the text to claim it.";
  }
}

function claimSelection() {
  if (workspace.dataset.canCreate !== "true") return;
  const offsets = selectionOffsets();
  if (!offsets) {
    toast("Select the words of the claim in the article text first.");
    return;
  }
  if (!mayLeaveDraft()) return;
  focusPanelAfterSwap = true;
  askedAlready = true;
  htmx.ajax("POST", workspace.dataset.createUrl, {
    target: "#claim-detail",
    swap: "outerHTML",
    values: { ...offsets, revision: workspace.dataset.revision },
    headers: { "X-CSRFToken": csrf() },
  });
  window.getSelection().removeAllRanges();
  updateClaimButton();
}

let askedAlready = false;

function openClaim(id, { asked = false } = {}) {
  const link = document.querySelector(`#claim-item-${id} a`);
  if (!link) return;
  askedAlready = asked; // `leavingDraft` is not to ask a second time
  htmx.trigger(link, "click");
}

function selectedClaimId() {
  const current = panel();
  return current && current.dataset.claim ? current.dataset.claim : null;
}

// Mark the open claim in the list and in the text, so both sides show the same selection.
function reflectSelection({ scroll = true } = {}) {
  const id = selectedClaimId();
  document.querySelectorAll(".claim-item[aria-current]").forEach((el) => el.removeAttribute("aria-current"));
  document.querySelectorAll("mark.hl.selected").forEach((el) => el.classList.remove("selected"));
  if (!id) return;
  const item = document.getElementById(`claim-item-${id}`);
  if (item) {
    item.setAttribute("aria-current", "true");
    if (scroll) item.scrollIntoView({ block: "nearest" });
  }
  const marks = document.querySelectorAll("mark.hl");
  let first = null;
  marks.forEach((mark) => {
    if (mark.dataset.claims.split(" ").includes(id)) {
      mark.classList.add("selected");
      first = first || mark;
    }
  });
  if (first && scroll) first.scrollIntoView({ block: "nearest" });
  const url = new URL(window.location.href);
  url.searchParams.set("claim", id);
  history.replaceState(null, "", url);
}

function step(delta) {
  const items = Array.from(document.querySelectorAll(".claim-item"));
  if (!items.length) return;
  const index = items.findIndex((el) => el.dataset.claim === selectedClaimId());
  const next = index === -1 ? (delta > 0 ? 0 : items.length - 1) : (index + delta + items.length) % items.length;
  if (!mayLeaveDraft()) return;
  focusPanelAfterSwap = true;
  openClaim(items[next].dataset.claim, { asked: true });
}

function toggleShortcutTag(n) {
  if (workspace.dataset.canEdit !== "true") return;
  const current = panel();
  const tag = document.querySelectorAll("[data-shortcut-tag]")[n - 1];
  if (!current || !current.dataset.claim || !tag) return;
  htmx.ajax("POST", current.dataset.toggleUrl, {
    source: current, // from the panel itself: its drafts are kept, not asked about
    target: "#claim-detail",
    swap: "outerHTML",
    values: { tag: tag.dataset.shortcutTag, version: current.dataset.version },
    headers: { "X-CSRFToken": csrf() },
  });
}

function closePanel() {
  const current = panel();
  if (!current || !current.dataset.claim) return false;
  if (!mayLeaveDraft()) return true;
  current.outerHTML =
    '<section id="claim-detail" class="panel empty" aria-live="polite"><p>Select a claim to see and edit it.</p></section>';
  reflectSelection();
  const url = new URL(window.location.href);
  url.searchParams.delete("claim");
  history.replaceState(null, "", url);
  return true;
}

function toggleHelp(show) {
  const overlay = document.getElementById("shortcuts");
  if (!overlay) return;
  const opening = show === undefined ? overlay.hidden : show;
  if (opening === !overlay.hidden) return;
  overlay.hidden = !opening;
  if (opening) {
    focusBeforeHelp = document.activeElement;
    overlay.querySelector("button").focus();
  } else if (focusBeforeHelp && document.contains(focusBeforeHelp)) {
    focusBeforeHelp.focus();
  }
}

// --- Failures: every failed htmx request says what happened, in place, with the way forward. ---------------

const FAILURE = {
  400: "The request was not understood, so nothing was saved.",
  403: "That was refused: your role may not do it, or your session has ended.",
  404: "That is no longer here: someone may have deleted it.",
  409: "Someone else changed this meanwhile; nothing was overwritten.",
  422: "That could not be saved as it was.",
};

function isWholePage(xhr) {
  return /^\s*(<!doctype|<html)/i.test(xhr.responseText || "");
}

function failed(elt, xhr) {
  let message;
  if (!xhr) {
    message = "The server could not be reached, so nothing was saved. Check the connection and try again.";
  } else if (isWholePage(xhr) && new URL(xhr.responseURL || location.href).pathname.startsWith("/accounts/login/")) {
    message = "Your session has ended, so nothing was saved. Sign in again (your typed text is still here).";
  } else if ((xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain") && xhr.responseText) {
    message = xhr.responseText; // our own message: plain text, shown as text
  } else if (xhr.status >= 500) {
    message = "Something went wrong on the server, so nothing was saved.";
  } else {
    message = FAILURE[xhr.status] || `The request failed (HTTP ${xhr.status}), so nothing was saved.`;
  }
  const current = panel();
  let where = null;
  if (current && elt && current.contains(elt)) {
    where = current.querySelector(".failure");
    if (!where) {
      where = document.createElement("p");
      where.className = "error failure";
      where.setAttribute("role", "alert");
      current.querySelector(".panel-head").after(where);
    }
  }
  say(message, { where, reload: Boolean(xhr) });
}

// --- Drafts: what an editor typed in the panel and has not saved is never dropped. -----------------------
// A field's draft is its value where it differs from the value the server rendered (defaultValue,
// defaultChecked, defaultSelected). Search boxes only filter, so they are no draft.

function fieldKey(field) {
  const form = field.form ? field.form.getAttribute("action") : "";
  return `${form} ${field.name} ${field.type === "checkbox" || field.type === "radio" ? field.value : ""}`;
}

function serverValue(field) {
  if (field.type === "checkbox" || field.type === "radio") return field.defaultChecked;
  if (field.tagName === "SELECT") {
    const chosen = Array.from(field.options).find((o) => o.defaultSelected) || field.options[0];
    return chosen ? chosen.value : "";
  }
  return field.defaultValue;
}

function currentValue(field) {
  return field.type === "checkbox" || field.type === "radio" ? field.checked : field.value;
}

function draftFields(container, except = null) {
  if (!container || !container.dataset.claim) return [];
  return Array.from(container.querySelectorAll("form input, form textarea, form select")).filter(
    (field) =>
      field.name && field.type !== "hidden" && field.type !== "search" && !field.disabled &&
      field.form !== except && currentValue(field) !== serverValue(field),
  );
}

let draft = null;

// Before the panel is replaced: remember the drafts, except those of a form whose save just succeeded.
function keepDraft(elt, status) {
  const current = panel();
  const submitted = elt && elt.closest ? elt.closest("form") : null;
  const saved = status >= 200 && status < 300 ? submitted : null;
  const fields = draftFields(current, saved);
  draft = fields.length
    ? {
        claim: current.dataset.claim,
        fields: fields.map((f) => ({ key: fieldKey(f), was: serverValue(f), value: currentValue(f), label: f.name })),
      }
    : null;
}

// After: put each draft back where the server did not change that field meanwhile; where it did (a
// colleague's edit), keep the new value in the field and show the draft beside it.
function restoreDraft() {
  const current = panel();
  const kept = draft;
  draft = null;
  if (!kept || !current || current.dataset.claim !== kept.claim) return;
  const fields = new Map(
    Array.from(current.querySelectorAll("form input, form textarea, form select")).map((f) => [fieldKey(f), f]),
  );
  for (const { key, was, value, label } of kept.fields) {
    const field = fields.get(key);
    if (!field) continue;
    if (serverValue(field) === was) {
      if (field.type === "checkbox" || field.type === "radio") field.checked = value;
      else field.value = value;
    } else if (typeof value === "string" && value !== currentValue(field)) {
      const note = document.createElement("p");
      note.className = "draft-kept";
      note.textContent = `Your unsaved ${label} (not applied: it was changed meanwhile): ${value}`;
      field.after(note);
    }
  }
}

// Leaving the open claim (another claim, a new one, closing it) with drafts asks first.
function mayLeaveDraft() {
  if (!draftFields(panel()).length) return true;
  return window.confirm("This claim has changes you have not saved. Leave them and go on?");
}

function leavingDraft(elt, target) {
  const current = panel();
  const asked = askedAlready;
  askedAlready = false;
  if (asked || !target || target.id !== "claim-detail" || !current) return true;
  if (elt && current.contains(elt)) return true; // the panel's own forms keep their drafts (keepDraft)
  return mayLeaveDraft();
}

// --- Highlights restyled from a swapped-in list item: a change of status re-sends no text. --------------

function restyleMarks() {
  document.querySelectorAll(".claim-item[data-mark-look]").forEach((item) => {
    const look = item.dataset.markLook.split(" ");
    document.querySelectorAll(`mark.hl[data-claim="${item.dataset.claim}"]`).forEach((mark) => {
      const keep = Array.from(mark.classList).filter((c) => !/^(status|anchor)-/.test(c));
      mark.className = [...keep, ...look].join(" ");
      mark.title = item.dataset.markTitle;
    });
    delete item.dataset.markLook;
    delete item.dataset.markTitle;
  });
}

// --- Focus: a claim that opens by the keyboard or is just made is brought into view and focused. -------

let focusPanelAfterSwap = false;

function bringPanelIntoView() {
  const current = panel();
  if (!current) return;
  current.scrollIntoView({ block: "start" });
  current.focus({ preventScroll: true });
}

// --- A caret in the article text, so that a keyboard can select and claim (caret browsing). ------------
// The text is focusable (tabindex=0); the arrows move a collapsed selection, Shift extends it.

const CARET_KEYS = {
  ArrowLeft: ["backward", "character"],
  ArrowRight: ["forward", "character"],
  ArrowUp: ["backward", "line"],
  ArrowDown: ["forward", "line"],
  Home: ["backward", "lineboundary"],
  End: ["forward", "lineboundary"],
};

function placeCaretInView(container) {
  const selection = window.getSelection();
  if (selection.rangeCount && container.contains(selection.anchorNode)) return;
  const box = container.getBoundingClientRect();
  const y = Math.min(Math.max(box.top, 0) + 12, window.innerHeight - 1);
  const range = document.caretRangeFromPoint ? document.caretRangeFromPoint(box.left + 2, y) : null;
  if (range && container.contains(range.startContainer)) selection.collapse(range.startContainer, range.startOffset);
  else selection.collapse(container, 0);
}

function moveCaret(event) {
  const container = text();
  if (!container || event.target !== container || event.metaKey) return false;
  let [direction, unit] = CARET_KEYS[event.key] || [];
  if (!unit) return false;
  if (event.ctrlKey || event.altKey) unit = unit === "character" ? "word" : unit === "line" ? "sentence" : unit;
  placeCaretInView(container);
  window.getSelection().modify(event.shiftKey ? "extend" : "move", direction, unit);
  showCaret();
  return true;
}

function showCaret() {
  const container = text();
  let caret = document.getElementById("text-caret");
  const selection = window.getSelection();
  const active = container && document.activeElement === container && selection.rangeCount;
  if (!active) {
    if (caret) caret.hidden = true;
    return;
  }
  const range = selection.getRangeAt(0).cloneRange();
  range.collapse(selection.focusNode === range.endContainer && selection.focusOffset === range.endOffset ? false : true);
  const rect = range.getClientRects()[0] || range.getBoundingClientRect();
  if (!rect || (!rect.height && !rect.top)) return;
  if (!caret) {
    caret = document.createElement("span");
    caret.id = "text-caret";
    caret.className = "text-caret";
    caret.setAttribute("aria-hidden", "true");
    document.body.append(caret); // outside the text, so that its characters stay the revision's
  }
  caret.hidden = false;
  caret.style.left = `${rect.left + window.scrollX}px`;
  caret.style.top = `${rect.top + window.scrollY}px`;
  caret.style.height = `${rect.height || 20}px`;
}

// --- The shortcuts dialog is modal: Tab stays in it; Esc closes it and gives focus back. ----------------

let focusBeforeHelp = null;

function trapFocus(event, overlay) {
  const focusable = Array.from(overlay.querySelectorAll("button, a[href], input, select, textarea, [tabindex]")).filter(
    (el) => !el.disabled && el.tabIndex >= 0,
  );
  if (!focusable.length) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  const inside = overlay.contains(document.activeElement);
  if (event.shiftKey && (document.activeElement === first || !inside)) {
    last.focus();
    event.preventDefault();
  } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
    first.focus();
    event.preventDefault();
  }
}

if (workspace) {
  document.addEventListener("selectionchange", () => {
    updateClaimButton();
    showCaret();
  });
  text().addEventListener("focus", () => {
    // Tabbing in puts a caret at the top of what is on screen; a click places its own.
    if (text().matches(":focus-visible")) placeCaretInView(text());
    showCaret();
  });
  text().addEventListener("blur", showCaret);

  document.addEventListener("click", (event) => {
    const action = event.target.closest("[data-action]");
    if (action) {
      const name = action.dataset.action;
      if (name === "claim") claimSelection();
      if (name === "help") toggleHelp();
      if (name === "close-help") toggleHelp(false);
      if (name === "close" && closePanel()) event.preventDefault();
      return;
    }
    if (!window.getSelection().isCollapsed) return;
    const mark = event.target.closest("mark.hl");
    if (mark) {
      // Overlapping highlights: the innermost (shortest) claim is listed first.
      openClaim(mark.dataset.claims.split(" ")[0]);
      return;
    }
    const suggested = event.target.closest(".sg");
    if (suggested) {
      const item = document.getElementById(`suggestion-item-${suggested.dataset.suggestions.split(" ")[0]}`);
      if (item) {
        item.scrollIntoView({ block: "nearest" });
        item.focus();
      }
    }
  });

  // Re-attaching an orphan takes the current selection in the new text.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest(".reattach-form");
    if (!form) return;
    const offsets = selectionOffsets();
    if (!offsets) {
      event.preventDefault();
      event.stopImmediatePropagation();
      toast("Select the claim's new text in the article first, then re-attach.");
      return;
    }
    form.elements.start.value = offsets.start;
    form.elements.end.value = offsets.end;
    form.elements.exact.value = offsets.exact;
  }, true);

  // Type to filter the tag vocabulary in the panel.
  document.addEventListener("input", (event) => {
    if (!event.target.matches(".tag-filter")) return;
    const wanted = event.target.value.trim().toLowerCase();
    event.target.closest("fieldset").querySelectorAll(".tag-option").forEach((option) => {
      option.hidden = wanted !== "" && !option.textContent.toLowerCase().includes(wanted);
    });
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    restyleMarks();
    // Once per answer, for the panel (out-of-band parts settle too, and must not scroll the page back).
    if (!event.detail.target || event.detail.target.id !== "claim-detail") return;
    const created = event.detail.xhr && event.detail.xhr.status === 201; // a claim just made
    const focus = focusPanelAfterSwap || created;
    focusPanelAfterSwap = false;
    reflectSelection({ scroll: !focus });
    if (focus) bringPanelIntoView();
  });
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (!leavingDraft(event.detail.elt, event.detail.target)) event.preventDefault();
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    if (event.detail.shouldSwap && isWholePage(xhr)) {
      // A whole document (the sign-in page after a session ended, an error page) is never a fragment.
      event.detail.shouldSwap = false;
      failed(event.detail.requestConfig.elt, xhr);
      return;
    }
    if (event.detail.shouldSwap && event.detail.target && event.detail.target.id === "claim-detail") {
      keepDraft(event.detail.requestConfig.elt, xhr.status);
    }
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "claim-detail") restoreDraft();
  });
  document.addEventListener("htmx:responseError", (event) => failed(event.detail.elt, event.detail.xhr));
  document.addEventListener("htmx:sendError", (event) => failed(event.detail.elt, null));
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    // A suggestion re-seated in its ranked place (the list is capped) replaces its old copy, if any.
    const fragment = event.detail.fragment;
    const seat = fragment && fragment.classList && fragment.classList.contains("suggestion-item-seat") ? fragment : null;
    if (!seat) return;
    for (const item of seat.children) {
      const old = document.getElementById(item.id);
      if (old && old !== event.detail.target) old.remove();
    }
  });
  document.addEventListener("htmx:oobErrorNoTarget", (event) => {
    // A new claim's neighbour in the list is not on this page (a colleague's claim since it loaded):
    // the item still goes in the list, at its end.
    const content = event.detail.content;
    const list = document.getElementById("claim-list");
    if (content && content.classList && content.classList.contains("claim-item-insert") && list) {
      list.append(...content.children);
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (draftFields(panel()).length) event.preventDefault();
  });

  document.addEventListener("keydown", (event) => {
    const overlay = document.getElementById("shortcuts");
    const helpOpen = overlay && !overlay.hidden;
    if (helpOpen && event.key === "Tab") return trapFocus(event, overlay);
    if (!helpOpen && moveCaret(event)) {
      event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "Escape") {
      if (helpOpen) toggleHelp(false);
      else if (!typing) closePanel();
      return;
    }
    if (typing || (helpOpen && event.key !== "?")) return;
    if (event.key === "c") claimSelection();
    else if (event.key === "j") step(1);
    else if (event.key === "k") step(-1);
    else if (event.key === "?") toggleHelp();
    else if (/^[1-9]$/.test(event.key)) toggleShortcutTag(Number(event.key));
    else return;
    event.preventDefault();
  });

  reflectSelection();
}

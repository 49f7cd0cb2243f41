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

function toast(message) {
  const box = document.getElementById("toast");
  if (!box) return;
  box.textContent = message;
  box.hidden = false;
  clearTimeout(box._timer);
  box._timer = setTimeout(() => (box.hidden = true), 6000);
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
  htmx.ajax("POST", workspace.dataset.createUrl, {
    target: "#claim-detail",
    swap: "outerHTML",
    values: { ...offsets, revision: workspace.dataset.revision },
    headers: { "X-CSRFToken": csrf() },
  });
  window.getSelection().removeAllRanges();
  updateClaimButton();
}

function openClaim(id) {
  const link = document.querySelector(`#claim-item-${id} a`);
  if (link) htmx.trigger(link, "click");
}

function selectedClaimId() {
  const current = panel();
  return current && current.dataset.claim ? current.dataset.claim : null;
}

// Mark the open claim in the list and in the text, so both sides show the same selection.
function reflectSelection() {
  const id = selectedClaimId();
  document.querySelectorAll(".claim-item[aria-current]").forEach((el) => el.removeAttribute("aria-current"));
  document.querySelectorAll("mark.hl.selected").forEach((el) => el.classList.remove("selected"));
  if (!id) return;
  const item = document.getElementById(`claim-item-${id}`);
  if (item) {
    item.setAttribute("aria-current", "true");
    item.scrollIntoView({ block: "nearest" });
  }
  const marks = document.querySelectorAll("mark.hl");
  let first = null;
  marks.forEach((mark) => {
    if (mark.dataset.claims.split(" ").includes(id)) {
      mark.classList.add("selected");
      first = first || mark;
    }
  });
  if (first) first.scrollIntoView({ block: "nearest" });
  const url = new URL(window.location.href);
  url.searchParams.set("claim", id);
  history.replaceState(null, "", url);
}

function step(delta) {
  const items = Array.from(document.querySelectorAll(".claim-item"));
  if (!items.length) return;
  const index = items.findIndex((el) => el.dataset.claim === selectedClaimId());
  const next = index === -1 ? (delta > 0 ? 0 : items.length - 1) : (index + delta + items.length) % items.length;
  openClaim(items[next].dataset.claim);
}

function toggleShortcutTag(n) {
  if (workspace.dataset.canEdit !== "true") return;
  const current = panel();
  const tag = document.querySelectorAll("[data-shortcut-tag]")[n - 1];
  if (!current || !current.dataset.claim || !tag) return;
  htmx.ajax("POST", current.dataset.toggleUrl, {
    target: "#claim-detail",
    swap: "outerHTML",
    values: { tag: tag.dataset.shortcutTag, version: current.dataset.version },
    headers: { "X-CSRFToken": csrf() },
  });
}

function closePanel() {
  const current = panel();
  if (!current || !current.dataset.claim) return false;
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
  overlay.hidden = show === undefined ? !overlay.hidden : !show;
  if (!overlay.hidden) overlay.querySelector("button").focus();
}

if (workspace) {
  document.addEventListener("selectionchange", updateClaimButton);

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

  document.addEventListener("htmx:afterSettle", reflectSelection);
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    toast(xhr.status >= 500 ? "Something went wrong on the server; nothing was saved." : xhr.responseText);
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "Escape") {
      if (!document.getElementById("shortcuts").hidden) toggleHelp(false);
      else if (!typing) closePanel();
      return;
    }
    if (typing) return;
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

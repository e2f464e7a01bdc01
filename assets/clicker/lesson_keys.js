// Presentation clickers on the Lesson page (ui/lesson/clicker.py): PageDown, →, ↓, Space and "." go to the
// next step, PageUp, ← and ↑ to the previous one, from anywhere on the page — also after a slider, a
// number input or the step selector was used — except while typing in a text field (there, and in a
// number input or a drop-down, only PageUp/PageDown step). A new step opens at its top.
//
// A v2 component's module runs again on every rerun: the key listener is installed once per page
// (window.__vaeKeys) and reads the latest run's data.

const KEYS = (window.__vaeKeys ??= { data: null, installed: false, steps: 0, lastStep: null });

const NEXT = new Set(["PageDown", "ArrowRight", "ArrowDown", " ", "."]);
const PREV = new Set(["PageUp", "ArrowLeft", "ArrowUp"]);
const PAGING = new Set(["PageDown", "PageUp"]);

// Where a key belongs to what has focus: "text" (typing: leave every key alone), "field" (a number
// input or a drop-down: only PageUp/PageDown step), or "page" (every stepping key steps).
function focusKind(el) {
  if (!el) return "page";
  while (el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (el.isContentEditable || el.tagName === "TEXTAREA") return "text";
  if (el.tagName === "INPUT") {
    const type = (el.getAttribute("type") || "text").toLowerCase();
    if (type === "number" || el.getAttribute("role") === "combobox") return "field";
    if (["text", "search", "email", "password", "url", "tel"].includes(type)) return "text";
  }
  return "page";
}

function press(which) {
  const button = document.querySelector(`.st-key-${which} button`);
  if (button && !button.disabled) {
    button.click();
    KEYS.steps += 1;
  }
}

function onKey(event) {
  const data = KEYS.data;
  if (!data || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
  if (!document.querySelector(`.st-key-${data.next}`)) return; // not on the Lesson page any more
  const kind = focusKind(document.activeElement);
  if (kind === "text") return;
  if (kind === "field" && !PAGING.has(event.key)) return;
  const which = NEXT.has(event.key) ? data.next : PREV.has(event.key) ? data.prev : null;
  if (!which) return;
  event.preventDefault(); // the key must not also move a slider or scroll the page
  event.stopPropagation();
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  press(which);
}

export default function (component) {
  const { data } = component;
  KEYS.data = data;
  if (!KEYS.installed) {
    window.addEventListener("keydown", onKey, true);
    KEYS.installed = true;
  }
  if (KEYS.lastStep !== null && KEYS.lastStep !== data.step) {
    // a new step: open it at its top (Streamlit keeps the scroll position of the page)
    requestAnimationFrame(() => {
      const main = document.querySelector('[data-testid="stMain"]');
      for (const el of [main, document.scrollingElement]) if (el) el.scrollTo({ top: 0, behavior: "instant" });
    });
  }
  KEYS.lastStep = data.step;
}

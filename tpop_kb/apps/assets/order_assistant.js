// The order assistant's browser side (tpop_kb/apps/order_assistant.py, PageScript).
//
// An anywidget ES module; the kernel only sends it: `run` (a number that changes with
// every new question or answer), `focus` ("question" | "answer" | ""), `lookup` (the
// answer's deep-link query string, "" for none), `label` (its line in the recent list)
// and `texts` (the recent list's words). Nothing here goes back to the kernel.
//
// - Ctrl+Enter / Cmd+Enter in the form gets the answer.
// - After a new question or answer, the focus moves to its title, scrolled into view.
// - A step's answer buttons take one answer: a second Enter (or click) before the next
//   question is shown is ignored.
// - Copy buttons copy their draft's textarea, edits included (Clipboard API inside the
//   click, else execCommand, else "select it and press Ctrl+C").
// - The last lookups of this tab are kept in sessionStorage (never on the server); the
//   address bar holds the answer's deep link (history.pushState), so Back and reload
//   open it again.
// - Before printing, each draft's text is copied into a block that prints whole.

const STORE = "tpop-order-assistant-recent";
const MOST = 8;

function recent() {
  try {
    const list = JSON.parse(window.sessionStorage.getItem(STORE) || "[]");
    return Array.isArray(list) ? list : [];
  } catch (e) {
    return [];
  }
}

function remember(query, label) {
  const list = recent().filter((item) => item && item.q !== query);
  list.unshift({ q: query, label: label, at: new Date().toISOString() });
  try {
    window.sessionStorage.setItem(STORE, JSON.stringify(list.slice(0, MOST)));
  } catch (e) {
    // storage full or refused: the list is only a convenience
  }
}

function pageOf(el) {
  return el.closest(".tpop-order-assistant") || document;
}

function copyDraft(button) {
  const draft = button.closest(".tpop-draft");
  const box = draft && draft.querySelector(button.dataset.target || "textarea");
  if (!box) return;
  const ok = () => {
    button.textContent = button.dataset.done;
    setTimeout(() => { button.textContent = button.dataset.label; }, 2500);
  };
  const no = () => {
    const details = box.closest("details");
    if (details) details.open = true;
    box.focus();
    box.select();
    button.textContent = button.dataset.fail;
  };
  const old = () => {
    try {
      const details = box.closest("details");
      if (details) details.open = true;
      box.focus();
      box.select();
      document.execCommand("copy") ? ok() : no();
    } catch (e) {
      no();
    }
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(box.value).then(ok, old);
  } else {
    old();
  }
}

function printCopies(page) {
  page.querySelectorAll(".tpop-draft").forEach((draft) => {
    const box = draft.querySelector(".tpop-draft-text textarea");
    if (!box) return;
    let copy = draft.querySelector(".tpop-print-text");
    if (!copy) {
      copy = document.createElement("div");
      copy.className = "tpop-print-text";
      box.closest(".tpop-draft-text").after(copy);
    }
    copy.textContent = box.value;
  });
}

// Page-wide listeners, once per page (a page holds one order assistant).
function listen() {
  if (window.__tpopOrderAssistant) return;
  window.__tpopOrderAssistant = true;

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const target = event.target instanceof Element ? event.target : null;
    const inForm = target && target.closest(".tpop-order-assistant .tpop-oa-form");
    if (!inForm && target !== document.body) return;
    const page = inForm ? pageOf(target) : document;
    const button = page.querySelector(".tpop-triage-button");
    if (!button) return;
    event.preventDefault();
    // a field sends its value when it loses the focus: before the click, in order
    if (target && target !== document.body && typeof target.blur === "function") {
      target.blur();
    }
    button.click();
  }, true);  // capture: the widgets' text fields stop their keydown events from bubbling

  // One answer per step: the first click goes through, the next ones wait for the
  // next question (a capture listener stops them before the button sees them).
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const answer = target.closest(".tpop-order-assistant .tpop-oa-answers .jupyter-button");
    if (answer) {
      const box = answer.closest(".tpop-oa-answers");
      if (box.classList.contains("tpop-sent")) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      box.classList.add("tpop-sent");
      box.setAttribute("aria-busy", "true");
      setTimeout(() => unlock(box), 8000);  // never stuck if the kernel does not answer
      return;
    }
    const copy = target.closest(".tpop-order-assistant button.tpop-copy");
    if (copy) {
      event.preventDefault();
      copyDraft(copy);
    }
  }, true);

  window.addEventListener("beforeprint", () => printCopies(document));
  // Back/forward between two lookups of this tab: open the address's deep link.
  window.addEventListener("popstate", () => window.location.reload());
}

function unlock(box) {
  box.classList.remove("tpop-sent");
  box.removeAttribute("aria-busy");
}

function render({ model, el }) {
  listen();
  const section = document.createElement("section");
  section.className = "tpop-recent";
  el.appendChild(section);

  function drawRecent() {
    const texts = model.get("texts") || {};
    section.replaceChildren();
    const list = recent();
    const heading = document.createElement("h2");
    heading.className = "tpop-section-title";
    heading.textContent = texts.heading || "";
    section.appendChild(heading);
    if (!list.length) {
      const none = document.createElement("p");
      none.className = "tpop-small tpop-muted tpop-recent-none";
      none.textContent = texts.none || "";
      section.appendChild(none);
    } else {
      const ol = document.createElement("ol");
      const here = window.location.search.replace(/^\?/, "");
      for (const item of list) {
        const li = document.createElement("li");
        const link = document.createElement("a");
        link.href = window.location.pathname + "?" + item.q;
        link.textContent = item.label || item.q;
        link.className = "tpop-recent-link";
        if (item.q === here) link.setAttribute("aria-current", "true");
        li.appendChild(link);
        const when = new Date(item.at);
        if (!isNaN(when)) {
          const span = document.createElement("span");
          span.className = "tpop-recent-when";
          span.textContent = " · " + when.toLocaleTimeString(
            texts.locale || undefined, { hour: "2-digit", minute: "2-digit" });
          li.appendChild(span);
        }
        ol.appendChild(li);
      }
      section.appendChild(ol);
    }
    const note = document.createElement("p");
    note.className = "tpop-small tpop-muted";
    note.textContent = texts.note || "";
    section.appendChild(note);
  }

  // The address bar and the recent list follow the answer shown.
  let first = true;
  function keep() {
    const query = model.get("lookup");
    if (!query || model.get("focus") !== "answer") return;
    const wanted = "?" + query;
    if (window.location.search !== wanted) {
      const url = window.location.pathname + wanted + window.location.hash;
      // the page's first answer takes the place of the address it was opened with;
      // each later one is a new history entry (Back returns to the one before)
      if (window.location.search && !first) {
        window.history.pushState({ tpop: query }, "", url);
      } else {
        window.history.replaceState({ tpop: query }, "", url);
      }
    }
    first = false;
    remember(query, model.get("label"));
    drawRecent();
  }

  // Focus the new question's or answer's title once the kernel's HTML is on the page.
  function focusNew() {
    const run = String(model.get("run"));
    const kind = model.get("focus");
    if (!kind) return;
    const page = pageOf(el);
    const selector = kind === "answer"
      ? `.tpop-outcome[data-run="${run}"] .tpop-outcome-title`
      : `.tpop-question-text[data-run="${run}"]`;
    const started = Date.now();
    (function look() {
      const title = page.querySelector(selector);
      if (title && title.offsetParent !== null) {
        page.querySelectorAll(".tpop-oa-answers.tpop-sent").forEach(unlock);
        title.focus({ preventScroll: true });
        // an answer: its whole head (the "3. The answer · Order …" line above the title)
        const head = kind === "answer" ? title.closest(".tpop-outcome") || title : title;
        head.scrollIntoView({ block: "start", behavior: "auto" });
        return;
      }
      if (Date.now() - started < 5000) window.requestAnimationFrame(look);
      else page.querySelectorAll(".tpop-oa-answers.tpop-sent").forEach(unlock);
    })();
  }

  function onRun() {
    keep();
    focusNew();
  }
  model.on("change:run", onRun);
  model.on("change:texts", drawRecent);
  drawRecent();
  if (model.get("run") > 0) onRun();
  return () => {
    model.off("change:run", onRun);
    model.off("change:texts", drawRecent);
  };
}

export default { render };

// What every page does in the browser (tpop_kb.apps._base.PageSession, an anywidget):
//
// - the language: the page opens in the language of its link (`?lang=en`) or, without
//   one, in the language last chosen on any page (the browser remembers it:
//   localStorage, nothing on the server); choosing a language on the page stores it and
//   writes it into the address (a reload keeps it);
// - links to another page (`<a href="….ipynb">`) carry the language (`?lang=en`);
// - the browser tab is named after the page, in its language ("Order assistant — TPOP").
const KEY = "tpop-lang";

function stored() {
  try {
    return window.localStorage.getItem(KEY);
  } catch (e) {
    return null; // storage refused (private window settings): the link's language only
  }
}

function store(lang) {
  try {
    window.localStorage.setItem(KEY, lang);
  } catch (e) {
    /* nothing to do: the address still carries the language */
  }
}

function withLang(href, lang) {
  const url = new URL(href, window.location.href);
  if (url.origin !== window.location.origin || !url.pathname.endsWith(".ipynb")) return null;
  if (url.searchParams.get("lang") === lang) return null;
  url.searchParams.set("lang", lang);
  // written as it was (a relative link stays relative), the language added or replaced
  const base = href.split("#")[0].split("?")[0];
  return base + url.search + url.hash;
}

function render({ model, el }) {
  // the languages the pages speak: tpop_kb.knowledge.LANGUAGES, sent by the page
  const LANGS = model.get("langs") || [];
  el.style.display = "none";
  const wanted = new URL(window.location.href).searchParams.get("lang");
  const first = LANGS.includes(wanted) ? wanted : stored();
  if (LANGS.includes(first) && first !== model.get("lang")) {
    model.set("lang", first);
    model.save_changes();
  }

  function links() {
    const lang = model.get("lang");
    for (const a of document.querySelectorAll(".tpop-app a[href]")) {
      const href = withLang(a.getAttribute("href"), lang);
      if (href !== null) a.setAttribute("href", href);
    }
  }
  function update() {
    const lang = model.get("lang");
    if (!LANGS.includes(lang)) return;
    store(lang);
    document.documentElement.lang = lang;
    const title = model.get("title");
    if (title) document.title = title;
    const here = new URL(window.location.href);
    if (here.searchParams.get("lang") !== lang) {
      here.searchParams.set("lang", lang);
      window.history.replaceState(window.history.state, "", here.href);
    }
    links();
  }
  // the pages redraw their HTML: links are given the language again as they appear
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(() => {
      pending = false;
      links();
    });
  });
  observer.observe(document.body, { subtree: true, childList: true, attributes: true,
                                    attributeFilter: ["href"] });
  // a click on a link made since the last frame still carries the language
  function onClick(event) {
    const a = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (a === null) return;
    const href = withLang(a.getAttribute("href"), model.get("lang"));
    if (href !== null) a.setAttribute("href", href);
  }
  document.addEventListener("click", onClick, true);
  model.on("change:lang", update);
  model.on("change:title", update);
  update();
  return () => {
    observer.disconnect();
    document.removeEventListener("click", onClick, true);
    model.off("change:lang", update);
    model.off("change:title", update);
  };
}
export default { render };

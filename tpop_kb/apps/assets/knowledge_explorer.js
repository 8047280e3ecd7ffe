// The knowledge explorer's diagram clicks (tpop_kb/apps/knowledge_explorer.py, NodeClicks).
//
// The decision tree is an SVG in an HTML widget: its nodes (`.tpop-node[data-node]`,
// role="button", tabindex="0") cannot talk to the kernel themselves. This module, the
// ES module of a small anywidget, listens on its page for a click on a node, or Enter /
// Space on a focused one, and sends the node's id to Python (`picked`, and `clicks`
// counted so that picking the same node twice still arrives). After a keyboard pick the
// diagram is drawn again by Python: the focus goes back to the same node in the new one.

function render({ model, el }) {
  const app = () => el.closest(".tpop-app") || document;
  let refocus = null;

  function nodeOf(target) {
    if (!(target instanceof Element)) return null;
    const node = target.closest(".tpop-diagram.is-selectable .tpop-node[data-node]");
    return node && app().contains(node) ? node : null;
  }

  function pick(node, byKeyboard) {
    model.set("picked", node.getAttribute("data-node"));
    model.set("clicks", model.get("clicks") + 1);
    model.save_changes();
    if (byKeyboard) refocus = { id: node.getAttribute("data-node"), old: node, until: Date.now() + 5000 };
  }

  function onClick(event) {
    const node = nodeOf(event.target);
    if (node) {
      event.preventDefault();
      pick(node, false);
    }
  }

  function onKey(event) {
    if (event.key !== "Enter" && event.key !== " " && event.key !== "Spacebar") return;
    const node = nodeOf(event.target);
    if (node) {
      event.preventDefault();
      pick(node, true);
    }
  }

  // The diagram is replaced when Python draws the selection: put the focus back on the node.
  const observer = new MutationObserver(() => {
    if (refocus === null) return;
    if (Date.now() > refocus.until) {
      refocus = null;
      return;
    }
    const selector = `.tpop-diagram .tpop-node[data-node="${CSS.escape(refocus.id)}"]`;
    const node = app().querySelector(selector);
    if (node && node !== refocus.old) {
      refocus = null;
      node.focus();
    }
  });
  observer.observe(document.body, { childList: true, subtree: true });
  document.addEventListener("click", onClick);
  document.addEventListener("keydown", onKey);
  return () => {
    observer.disconnect();
    document.removeEventListener("click", onClick);
    document.removeEventListener("keydown", onKey);
  };
}

export default { render };

// The banner a page shows when its widgets lose their kernel (tpop_kb/apps/connection.py).
function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "tpop-connection-lost";
  box.setAttribute("role", "alert");
  box.hidden = true;
  const title = document.createElement("strong");
  title.className = "tpop-connection-title";
  const text = document.createElement("span");
  text.className = "tpop-connection-text";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tpop-reload";
  button.addEventListener("click", () => window.location.reload());
  box.append(title, text, button);
  // on the body itself: inside the page's widgets, a transformed ancestor would carry
  // the "fixed" banner away when the page scrolls
  document.body.appendChild(box);

  function update() {
    title.textContent = model.get("title");
    text.textContent = model.get("message");
    button.textContent = model.get("button_label");
  }
  function lost() {
    return document.querySelector(
      ".tpop-app.jupyter-widgets-disconnected, .tpop-app .jupyter-widgets-disconnected"
    ) !== null;
  }
  // Change the page only when something changes: the observer sees its own class edits,
  // and DOMTokenList.add/remove write the attribute even when the class is already so.
  function show(on) {
    if (box.hidden === on) box.hidden = !on;
    if (document.body.classList.contains("tpop-disconnected") !== on) {
      document.body.classList.toggle("tpop-disconnected", on);
    }
  }
  let timer = null;
  function check() {
    if (lost()) {
      if (timer === null && box.hidden) {
        timer = setTimeout(() => {
          timer = null;
          if (lost()) show(true);
        }, model.get("delay_ms"));
      }
    } else {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      show(false);
    }
  }
  const observer = new MutationObserver(check);
  observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["class"] });
  model.on("change", update);
  update();
  check();
  return () => {
    box.remove();
    observer.disconnect();
    model.off("change", update);
    if (timer !== null) clearTimeout(timer);
  };
}
export default { render };

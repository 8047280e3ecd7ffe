// The bulk triage page's result table (an anywidget ES module, no build step).
//
// The kernel sends one page of rows as HTML (model "value", every cell escaped there);
// this module shows it, keeps the table's sideways scroll where it was when the rows
// change, and turns a click (or Enter/Space) on a column heading into a "sort" message
// for the kernel, which sorts every row, not only the page shown.
function render({ model, el }) {
  el.classList.add("tpop-table-view");
  let scrollLeft = 0;

  function scroller() {
    return el.querySelector(".tpop-table-scroll");
  }

  function update() {
    const before = scroller();
    if (before) scrollLeft = before.scrollLeft;
    const focused = document.activeElement;
    const sortFocus =
      focused && el.contains(focused) && focused.dataset ? focused.dataset.sort : null;
    el.innerHTML = model.get("value");
    const after = scroller();
    if (after) {
      after.scrollLeft = scrollLeft;
      after.addEventListener("scroll", () => { scrollLeft = after.scrollLeft; });
      hint(after);
    }
    if (sortFocus) {
      const again = el.querySelector(`button.tpop-sort-header[data-sort="${CSS.escape(sortFocus)}"]`);
      if (again) again.focus();
    }
  }

  // "more columns on the right" only when there are
  function hint(box) {
    const note = el.querySelector(".tpop-scroll-hint");
    if (note) note.hidden = box.scrollWidth <= box.clientWidth + 1;
  }
  const resized = new ResizeObserver(() => { const box = scroller(); if (box) hint(box); });
  resized.observe(el);

  el.addEventListener("click", (event) => {
    const button = event.target.closest("button.tpop-sort-header");
    if (!button || !el.contains(button)) return;
    event.preventDefault();
    model.send({ kind: "sort", column: button.dataset.sort });
  });
  model.on("change:value", update);
  update();
  return () => {
    model.off("change:value", update);
    resized.disconnect();
  };
}
export default { render };

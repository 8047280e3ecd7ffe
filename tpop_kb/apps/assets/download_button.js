// The download button's front end (tpop_kb/apps/transfer.py, DownloadButton): an anywidget ES module.
function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tpop-download-button";
  const icon = document.createElement("span");
  icon.className = "tpop-download-icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "\u2193";
  const label = document.createElement("span");
  button.append(icon, label);
  el.appendChild(button);
  let parts = [];
  let meta = null;

  function update() {
    const busy = model.get("busy");
    label.textContent = busy ? model.get("busy_label") : model.get("label");
    button.disabled = busy || model.get("disabled");
    button.setAttribute("aria-busy", busy ? "true" : "false");
    button.title = model.get("tooltip");
  }

  button.addEventListener("click", () => {
    if (button.disabled) return;
    model.send({ kind: "request" });
  });
  model.on("msg:custom", (msg, buffers) => {
    if (msg.kind === "start") {
      meta = msg;
      parts = [];
    } else if (msg.kind === "chunk" && meta && msg.id === meta.id) {
      for (const buffer of buffers || []) parts.push(buffer);
    } else if (msg.kind === "end" && meta && msg.id === meta.id) {
      const blob = new Blob(parts, { type: meta.mime });
      parts = [];
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = meta.filename;
      link.style.display = "none";
      document.body.appendChild(link);
      link.click();
      link.remove();
      meta = null;
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    }
  });
  model.on("change", update);
  update();
  return () => model.off("change", update);
}
export default { render };

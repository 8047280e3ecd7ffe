// The upload widget's front end (tpop_kb/apps/transfer.py, FileDrop): an anywidget ES module.
function render({ model, el }) {
  const zone = document.createElement("div");
  zone.className = "tpop-drop-zone";
  const input = document.createElement("input");
  input.type = "file";
  input.className = "tpop-file-input";
  input.tabIndex = -1;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tpop-choose-file";
  const label = document.createElement("span");
  label.className = "tpop-drop-label";
  const hint = document.createElement("span");
  hint.className = "tpop-drop-hint";
  const bar = document.createElement("div");
  bar.className = "tpop-drop-progress";
  const fill = document.createElement("div");
  bar.appendChild(fill);
  const text = document.createElement("div");
  text.className = "tpop-drop-text";
  text.append(label, hint);
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "tpop-cancel-upload";
  cancel.hidden = true;
  zone.append(input, button, text, cancel, bar);
  el.appendChild(zone);
  let sending = null;  // {id, name, size, cancelled} while a file is being sent

  function extensionOf(name) {
    const dot = name.lastIndexOf(".");
    return dot < 0 ? "" : name.slice(dot).toLowerCase();
  }

  function update() {
    button.textContent = model.get("button_label");
    label.textContent = model.get("drop_label");
    hint.textContent = model.get("hint");
    input.accept = model.get("accept");
    const disabled = model.get("disabled");
    button.disabled = disabled;
    input.disabled = disabled;
    zone.classList.toggle("tpop-drop-disabled", disabled);
    const size = model.get("sending_size");
    const received = model.get("received");
    const busy = size > 0 && received < size;
    zone.classList.toggle("tpop-drop-busy", busy);
    cancel.textContent = model.get("cancel_label");
    cancel.hidden = !(sending && !sending.cancelled);
    fill.style.width = size > 0 ? Math.min(100, (100 * received) / size) + "%" : "0%";
  }

  async function send(files) {
    if (!files || files.length === 0 || model.get("disabled")) return;
    if (files.length > 1) {
      model.send({ kind: "rejected", reason: "several", name: files[0].name, size: 0 });
      return;
    }
    const file = files[0];
    const allowed = model.get("accept").split(",").map((s) => s.trim().toLowerCase());
    if (!allowed.includes(extensionOf(file.name))) {
      model.send({ kind: "rejected", reason: "wrong_kind", name: file.name, size: file.size });
      return;
    }
    if (file.size > model.get("max_bytes")) {
      model.send({ kind: "rejected", reason: "too_big", name: file.name, size: file.size });
      return;
    }
    if (file.size === 0) {
      model.send({ kind: "rejected", reason: "empty", name: file.name, size: 0 });
      return;
    }
    const id = String(Date.now()) + "-" + Math.random().toString(36).slice(2);
    const step = model.get("chunk_bytes");
    model.set("sending_size", file.size);
    model.set("received", 0);
    model.save_changes();
    update();
    sending = { id, name: file.name, size: file.size, cancelled: false };
    const mine = sending;
    update();
    model.send({ kind: "start", id, name: file.name, size: file.size, type: file.type });
    try {
      for (let offset = 0; offset < file.size; offset += step) {
        if (mine.cancelled) return;
        const piece = await file.slice(offset, offset + step).arrayBuffer();
        if (mine.cancelled) return;
        model.send({ kind: "chunk", id, offset }, undefined, [piece]);
      }
      model.send({ kind: "end", id });
    } catch (error) {
      model.send({ kind: "rejected", reason: "read_error", name: file.name, size: file.size });
    } finally {
      if (sending === mine) sending = null;
      update();
    }
  }

  // "cancel": no more pieces are sent, and the kernel lets go of those it has
  cancel.addEventListener("click", () => {
    if (!sending || sending.cancelled) return;
    sending.cancelled = true;
    model.send({ kind: "cancel", id: sending.id });
    update();
  });

  button.addEventListener("click", () => input.click());
  input.addEventListener("click", () => { input.value = ""; });
  // once sent (or refused), the input lets go of the file: the page keeps no copy
  input.addEventListener("change", async () => {
    try { await send(input.files); } finally { input.value = ""; }
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("tpop-drop-over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("tpop-drop-over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("tpop-drop-over");
    send(event.dataTransfer ? event.dataTransfer.files : null);
  });
  model.on("change", update);
  update();
  return () => model.off("change", update);
}
export default { render };

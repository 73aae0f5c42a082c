// "Add another position": copy the last position block with a fresh index and empty fields.
(function () {
  const button = document.getElementById("add-position");
  const holder = document.getElementById("positions");
  if (!button || !holder) return;
  button.addEventListener("click", function () {
    const blocks = holder.querySelectorAll("fieldset.position");
    const last = blocks[blocks.length - 1];
    const next = Math.max(...Array.from(blocks, b => Number(b.dataset.index))) + 1;
    const copy = last.cloneNode(true);
    const old = "positions." + last.dataset.index + ".";
    const oldId = "f-positions-" + last.dataset.index + "-";
    copy.dataset.index = next;
    copy.querySelector("legend").textContent = "Position " + (blocks.length + 1) + " (new)";
    copy.querySelectorAll(".field-error").forEach(e => e.remove());
    copy.querySelectorAll("input, select, textarea, label").forEach(function (el) {
      if (el.name) el.name = el.name.replace(old, "positions." + next + ".");
      if (el.id) el.id = el.id.replace(oldId, "f-positions-" + next + "-");
      if (el.htmlFor) el.htmlFor = el.htmlFor.replace(oldId, "f-positions-" + next + "-");
      el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby");
      if (el.type === "hidden" && el.name.endsWith(".id")) el.remove();
      else if (el.type === "checkbox") el.checked = false;
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else if (el.tagName !== "LABEL") el.value = "";
    });
    copy.querySelectorAll("fieldset.rows").forEach(function (set) {
      set.dataset.name = set.dataset.name.replace(old, "positions." + next + ".");
      set.id = "rows-" + set.dataset.name;
    });
    copy.querySelectorAll("label.check").forEach(function (l) {
      const box = l.querySelector("input");
      if (box && box.name.endsWith(".remove")) l.remove();
    });
    holder.appendChild(copy);
    copy.dataset.credentialsTouched = "";
    credentialDefaults(copy);
    const first = copy.querySelector("input:not([type=hidden])");
    if (first) first.focus();
  });
})();

// A new position's credential boxes follow its category's defaults until someone ticks or unticks one; a stored
// position keeps what it requires. "any category": the types required of every category.
function credentialDefaults(block) {
  if (block.querySelector('input[type=hidden][name$=".id"]') || block.dataset.credentialsTouched) return;
  const select = block.querySelector('select[name$=".category"]');
  if (!select) return;
  const every = Array.from(select.options, o => o.value).filter(v => v);
  block.querySelectorAll('input[name$=".required_credentials"]').forEach(function (box) {
    const wanted = (box.dataset.defaultFor || "").split(" ").filter(v => v);
    box.checked = select.value ? wanted.includes(select.value) : every.every(c => wanted.includes(c));
  });
}

(function () {
  const holder = document.getElementById("positions");
  if (!holder) return;
  holder.addEventListener("change", function (event) {
    const block = event.target.closest("fieldset.position");
    if (!block) return;
    if (event.target.name && event.target.name.endsWith(".required_credentials")) block.dataset.credentialsTouched = "1";
    else if (event.target.name && event.target.name.endsWith(".category")) credentialDefaults(block);
  });
})();

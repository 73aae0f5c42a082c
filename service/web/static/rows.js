// "Add a row" under a list of rows (skills, languages, windows, credentials): copy the last row with a fresh
// number and empty fields. Without script the form still offers blank rows.
(function () {
  document.querySelectorAll("fieldset.rows").forEach(function (set) {
    const button = set.querySelector("button.add-row");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      const rows = set.querySelectorAll("div.row");
      const last = rows[rows.length - 1];
      const name = set.dataset.name;
      const next = Math.max(...Array.from(rows, r => Number(r.dataset.index))) + 1;
      const copy = last.cloneNode(true);
      const oldName = name + "." + last.dataset.index + ".";
      const oldId = "f-" + name + "-" + last.dataset.index + "-";
      copy.dataset.index = next;
      copy.querySelectorAll(".field-error").forEach(e => e.remove());
      copy.querySelectorAll("input, select, label").forEach(function (el) {
        if (el.name) el.name = el.name.replace(oldName, name + "." + next + ".");
        if (el.id) el.id = el.id.replace(oldId, "f-" + name + "-" + next + "-");
        if (el.htmlFor) el.htmlFor = el.htmlFor.replace(oldId, "f-" + name + "-" + next + "-");
        el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby");
        if (el.tagName === "SELECT") el.selectedIndex = 0;
        else if (el.tagName === "INPUT") el.value = "";
      });
      last.after(copy);
      const first = copy.querySelector("select, input");
      if (first) first.focus();
    });
  });
})();

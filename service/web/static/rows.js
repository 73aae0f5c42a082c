// "Add a row" under a list of rows (skills, languages, windows, credentials): copy the last row with a fresh
// number and empty fields. Without script the form still offers blank rows. One listener for the page, so the
// lists of a position added by script (request form) add rows too; a list's name may hold dots
// ("positions.0.languages"), its fields' ids have dashes instead.
(function () {
  document.querySelectorAll("fieldset.rows button.add-row").forEach(function (button) { button.hidden = false; });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("fieldset.rows button.add-row");
    if (!button) return;
    const set = button.closest("fieldset.rows");
    const rows = set.querySelectorAll("div.row");
    const last = rows[rows.length - 1];
    const name = set.dataset.name;
    const idName = name.replace(/\./g, "-");
    const next = Math.max(...Array.from(rows, r => Number(r.dataset.index))) + 1;
    const copy = last.cloneNode(true);
    const oldName = name + "." + last.dataset.index + ".";
    const oldId = "f-" + idName + "-" + last.dataset.index + "-";
    copy.dataset.index = next;
    copy.querySelectorAll(".field-error").forEach(e => e.remove());
    copy.querySelectorAll("input, select, label").forEach(function (el) {
      if (el.name) el.name = el.name.replace(oldName, name + "." + next + ".");
      if (el.id) el.id = el.id.replace(oldId, "f-" + idName + "-" + next + "-");
      if (el.htmlFor) el.htmlFor = el.htmlFor.replace(oldId, "f-" + idName + "-" + next + "-");
      el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby");
      if (el.tagName === "SELECT") el.selectedIndex = 0;
      else if (el.tagName === "INPUT") el.value = "";
    });
    last.after(copy);
    const first = copy.querySelector("select, input");
    if (first) first.focus();
  });
})();

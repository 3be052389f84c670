// Small behaviours for the server-rendered pages; no inline script is allowed by the CSP.
document.addEventListener("click", function (event) {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// A "Print" button (letters): the browser's print dialog, with the print stylesheet.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// Response templates: a combobox over a listbox (WAI-ARIA). Typing filters, the arrow keys
// move, Enter inserts the chosen template's text into the answer, Escape closes.
document.querySelectorAll("[data-macro-chooser]").forEach(function (chooser) {
  const input = chooser.querySelector("[role=combobox]");
  const list = chooser.querySelector("[role=listbox]");
  const target = document.querySelector(chooser.getAttribute("data-target"));
  const options = Array.from(list.querySelectorAll("[role=option]"));
  let active = -1;

  function visible() {
    return options.filter(function (option) { return !option.hidden; });
  }
  function open() {
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }
  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
    options.forEach(function (option) { option.setAttribute("aria-selected", "false"); });
  }
  function highlight(index) {
    const shown = visible();
    if (!shown.length) { return; }
    active = (index + shown.length) % shown.length;
    options.forEach(function (option) { option.setAttribute("aria-selected", "false"); });
    shown[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", shown[active].id);
    shown[active].scrollIntoView({ block: "nearest" });
  }
  function choose(option) {
    const text = option.getAttribute("data-text");
    if (target.value.trim() === "") {
      target.value = text;
    } else {
      const at = target.selectionStart || target.value.length;
      target.value = target.value.slice(0, at) + text + target.value.slice(at);
    }
    input.value = "";
    options.forEach(function (o) { o.hidden = false; });
    close();
    target.focus();
  }
  input.addEventListener("input", function () {
    const term = input.value.trim().toLowerCase();
    options.forEach(function (option) { option.hidden = term !== "" && !option.textContent.toLowerCase().includes(term); });
    open();
    highlight(0);
  });
  input.addEventListener("focus", open);
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); open(); highlight(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); open(); highlight(active - 1); }
    else if (event.key === "Enter") {
      const shown = visible();
      if (!list.hidden && active >= 0 && shown[active]) { event.preventDefault(); choose(shown[active]); }
      else { event.preventDefault(); }  // Enter here never submits the answer half-written
    } else if (event.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  options.forEach(function (option) {
    option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(option); });
  });
});

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

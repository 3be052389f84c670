// Keyboard shortcuts of the agent pages, listed in the "?" dialog (templates/contacts/_shortcuts.html).
// A page offers an action by marking its link or button with data-shortcut="<key>".
(function () {
  "use strict";

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-inbox-row]"));
  }

  // j / k: the next or previous ticket of the inbox, focused on its link; Enter opens it.
  function moveRow(step) {
    var all = rows();
    if (!all.length) return false;
    var index = all.findIndex(function (row) { return row.classList.contains("current"); });
    var next = Math.max(0, Math.min(all.length - 1, index + step));
    if (index === -1) next = step > 0 ? 0 : all.length - 1;
    all.forEach(function (row) { row.classList.remove("current"); });
    all[next].classList.add("current");
    var link = all[next].querySelector("a");
    if (link) link.focus();
    return true;
  }

  function logCall() {
    var details = document.getElementById("log-call");
    if (details) {
      details.open = true;
      var phone = details.querySelector("input[name=phone]");
      if (phone) phone.focus();
      return true;
    }
    var help = document.getElementById("shortcuts");
    var url = help && help.getAttribute("data-call-url");
    if (url) { window.location.assign(url); return true; }
    return false;
  }

  function activate(key) {
    var marked = document.querySelector('[data-shortcut="' + key + '"]');
    if (!marked) return false;
    if (marked.matches("textarea, input, select")) marked.focus();
    else marked.click();
    return true;
  }

  var actions = {
    "/": function () {
      var search = document.querySelector("[data-global-search]");
      if (!search) return false;
      search.focus();
      search.select();
      return true;
    },
    "?": function () {
      var dialog = document.getElementById("shortcuts");
      if (!dialog || typeof dialog.showModal !== "function") return false;
      dialog.showModal();
      return true;
    },
    j: function () { return moveRow(1); },
    k: function () { return moveRow(-1); },
    l: function () { return activate("l") || logCall(); },
    r: function () { return activate("r"); },
    n: function () { return activate("n"); },
    c: function () { return activate("c"); },
  };

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-show-shortcuts]")) actions["?"]();
  });

  document.addEventListener("keydown", function (event) {
    // Ctrl+Enter (Cmd+Enter on a Mac) in a text area saves its form: a note or a reply.
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.matches("textarea")) {
      var form = event.target.form;
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var action = actions[event.key];
    if (action && action()) event.preventDefault();
  });
})();

// Drafts that survive a lost network and a reload: every form marked
// data-draft-key keeps what was typed in localStorage until the server has
// confirmed the save (the page after a save carries data-draft-clear).
// The page works without this script: the server saves and re-shows typed
// text with its message when it refuses.
(function () {
  "use strict";
  var PREFIX = "shixun-shadowing-draft:";
  var store;
  try { store = window.localStorage; } catch (e) { return; }
  if (!store) return;

  document.querySelectorAll("[data-draft-clear]").forEach(function (el) {
    store.removeItem(PREFIX + el.getAttribute("data-draft-clear"));
  });

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "file" && el.type !== "hidden" &&
        el.type !== "submit" && el.type !== "button";
    });
  }

  function read(form) {
    var data = {};
    fields(form).forEach(function (el) {
      data[el.name] = el.type === "checkbox" ? el.checked : el.value;
    });
    return data;
  }

  function attach(form) {
    var key = PREFIX + form.getAttribute("data-draft-key");
    var status = form.querySelector(".sh-draft");
    var saved = store.getItem(key);
    if (saved && !form.hasAttribute("data-draft-posted")) {
      try {
        var data = JSON.parse(saved);
        fields(form).forEach(function (el) {
          if (!(el.name in data)) return;
          if (el.type === "checkbox") el.checked = !!data[el.name];
          else if (!el.value || el.type === "date" || el.tagName === "SELECT") el.value = data[el.name];
        });
        if (status) status.textContent = form.getAttribute("data-restored-text") || "";
      } catch (e) { store.removeItem(key); }
    }
    form.addEventListener("input", function () {
      try {
        store.setItem(key, JSON.stringify(read(form)));
        if (status) status.textContent = form.getAttribute("data-saved-text") || "";
      } catch (e) { /* storage full: the server copy is what counts */ }
    });
  }

  document.querySelectorAll("form[data-draft-key]").forEach(attach);
})();

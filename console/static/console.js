// The console works without this file; it only adds a live check of JSON
// fields (the server checks again and names the error's line and column).
(function () {
  "use strict";
  function check(area) {
    var out = area.parentNode.querySelector(".json-status");
    if (!out) return;
    try {
      JSON.parse(area.value);
      out.textContent = "Valid JSON.";
      out.classList.remove("bad");
    } catch (e) {
      out.textContent = e.message;
      out.classList.add("bad");
    }
  }
  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches("textarea[data-json]")) check(ev.target);
  });
})();

// Live case status: fetches the server-rendered fragment every few seconds and swaps it in, unless
// the citizen is typing in one of its forms (their input must never be wiped by an update).
(function () {
  var box = document.getElementById("case-live");
  if (!box) return;
  var url = box.getAttribute("data-url");
  var dirty = false;
  box.addEventListener("input", function () { dirty = true; });
  function finished() {
    var state = document.getElementById("case-state");
    return state && state.getAttribute("data-finished") === "yes";
  }
  function tick() {
    if (dirty || box.contains(document.activeElement) && document.activeElement.tagName !== "BODY") {
      return schedule();
    }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#case-state");
        var current = document.getElementById("case-state");
        if (fresh && current && fresh.getAttribute("data-signature") !== current.getAttribute("data-signature")) {
          box.innerHTML = html;
        }
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ })
      .then(schedule);
  }
  function schedule() { if (!finished()) setTimeout(tick, 1500); }
  schedule();
})();

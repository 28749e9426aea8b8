// Live board: re-fetches the server-rendered figures every few seconds and swaps them in, so a light
// that changes (an item passing its promised date) shows without a reload.
(function () {
  var box = document.getElementById("board-live");
  if (!box) return;
  var url = box.getAttribute("data-url");
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) box.innerHTML = html; })
      .catch(function () { /* offline for a moment: the next tick tries again */ })
      .then(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 5000);
})();

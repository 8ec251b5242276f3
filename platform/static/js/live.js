/* Breakfix's live pages: the dashboard's rows kept in order as its poll swaps changed cells in
   place. Plain JavaScript, no build step; without it the pages still show the truth when reloaded. */
(function () {
  "use strict";

  // --- the dashboard: rows in the server's order after a poll swapped some in place -------------
  // The same keys as classroom.dashboard.board.sort_key: progress (-solved, -score, name),
  // needs-help (solved, score, not stuck, name); by name the order never changes.

  function keyOf(row) {
    var head = row.querySelector("th.row-head");
    if (!head) { return null; }
    return {
      solved: Number(head.getAttribute("data-solved")),
      score: Number(head.getAttribute("data-score")),
      stuck: head.getAttribute("data-stuck") === "1",
      name: head.getAttribute("data-name") || ""
    };
  }

  function byName(a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; }

  var ORDERS = {
    "progress": function (a, b) { return (b.solved - a.solved) || (b.score - a.score) || byName(a, b); },
    "needs-help": function (a, b) {
      return (a.solved - b.solved) || (a.score - b.score) || ((a.stuck ? 0 : 1) - (b.stuck ? 0 : 1)) || byName(a, b);
    }
  };

  var pending = false;

  function reorder() {
    pending = false;
    var grid = document.getElementById("grid");
    var body = document.getElementById("board-rows");
    var order = grid && ORDERS[grid.getAttribute("data-sort")];
    if (!body || !order) { return; }
    var rows = Array.prototype.filter.call(body.rows, function (row) { return keyOf(row); });
    var sorted = rows.slice().sort(function (a, b) { return order(keyOf(a), keyOf(b)); });
    var moved = sorted.some(function (row, i) { return row !== rows[i]; });
    if (moved) { sorted.forEach(function (row) { body.appendChild(row); }); }
  }

  document.addEventListener("htmx:oobAfterSwap", function () {
    if (!pending) { pending = true; window.requestAnimationFrame(reorder); }
  });

  // Every answer of the dashboard's poll, a 204 included, means the grid is current now.
  document.addEventListener("htmx:afterRequest", function (event) {
    var grid = document.getElementById("grid");
    if (!grid || event.detail.elt !== grid || !event.detail.successful) { return; }
    var stamp = grid.querySelector("[data-updated]");
    if (stamp) { stamp.textContent = new Date().toTimeString().slice(0, 8); }
  });

})();

// The step-through page: shows the recording one event at a time.
// Everything it shows is in TRACE (written by html.rs); nothing is fetched.
(function () {
  "use strict";
  var TRACE = JSON.parse(document.getElementById("trace-data").textContent);
  var steps = TRACE.steps;
  var step = 0;

  function list(id, items) {
    var el = document.getElementById(id);
    el.innerHTML = "";
    if (items.length === 0) {
      var li = document.createElement("li");
      li.className = "empty";
      li.textContent = "empty";
      el.appendChild(li);
    }
    items.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      el.appendChild(li);
    });
  }

  function show(n) {
    if (steps.length === 0) return;
    step = Math.max(0, Math.min(n, steps.length - 1));
    var s = steps[step];
    document.body.setAttribute("data-step", String(step));
    document.getElementById("pos").textContent =
      "event " + step + " / " + (steps.length - 1);
    Array.prototype.forEach.call(document.querySelectorAll(".current"), function (e) {
      e.classList.remove("current");
    });
    Array.prototype.forEach.call(
      document.querySelectorAll('[data-ev~="' + step + '"]'),
      function (e) { e.classList.add("current"); });
    var cursor = document.getElementById("cursor");
    cursor.setAttribute("x", String(TRACE.left + s.col * TRACE.cell));
    cursor.setAttribute("visibility", "visible");
    document.getElementById("now").textContent =
      "clock " + s.at + "\n" + s.text + "\nrunning: " + (s.running || "nobody");
    list("ready", s.ready);
    list("micro", s.micro > 0 ? [s.micro + " queued (run after this poll)"] : []);
    list("timers", s.timers);
    var item = document.querySelector('#log li[data-ev="' + step + '"]');
    if (item) {
      item.classList.add("current");
      if (item.scrollIntoView) item.scrollIntoView({ block: "nearest" });
    }
    try { history.replaceState(null, "", "#step=" + step); } catch (e) { /* file:// in some browsers */ }
  }

  function start() {
    var m = /step=(\d+)/.exec(location.hash + "&" + location.search);
    return m ? parseInt(m[1], 10) : 0;
  }

  document.getElementById("first").onclick = function () { show(0); };
  document.getElementById("prev").onclick = function () { show(step - 1); };
  document.getElementById("next").onclick = function () { show(step + 1); };
  document.getElementById("last").onclick = function () { show(steps.length - 1); };
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight" || e.key === "ArrowDown") { show(step + 1); e.preventDefault(); }
    if (e.key === "ArrowLeft" || e.key === "ArrowUp") { show(step - 1); e.preventDefault(); }
    if (e.key === "Home") show(0);
    if (e.key === "End") show(steps.length - 1);
  });
  Array.prototype.forEach.call(document.querySelectorAll("#log li"), function (li) {
    li.onclick = function () { show(parseInt(li.getAttribute("data-ev"), 10)); };
  });
  show(start());
})();

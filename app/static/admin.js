// Keeps the "Ahora" block current while something runs; reloads the page when a run ends so
// the tables below show what it did.
(function () {
  const box = document.getElementById("status");
  if (!box) return;
  let wasRunning = box.querySelector("#status-body")?.dataset.running === "1";
  async function refresh() {
    try {
      const response = await fetch("/admin/fragments/status", { credentials: "same-origin" });
      if (!response.ok) return;
      const html = await response.text();
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const body = holder.querySelector("#status-body");
      if (!body) return;
      box.querySelector("#status-body").replaceWith(body);
      const running = body.dataset.running === "1";
      if (wasRunning && !running) window.location.reload();
      wasRunning = running;
    } catch (error) {
      // the service may be restarting: try again on the next tick
    }
  }
  setInterval(refresh, 1500);
})();

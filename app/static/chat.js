// SuperSmart chat page: posts to /chat/stream and renders Server-Sent Events as they come.
"use strict";
const log = document.getElementById("log");
const form = document.getElementById("ask");
const input = document.getElementById("message");
const keyInput = document.getElementById("key");
keyInput.value = localStorage.getItem("supersmart.key") || "";
keyInput.addEventListener("change", () => localStorage.setItem("supersmart.key", keyInput.value));
let conversation = localStorage.getItem("supersmart.conversation") || null;

const VERDICTS = {
  verified: "Respuesta comprobada con los datos.",
  repaired: "Se quitaron frases que los datos no respaldan.",
  replaced: "Respuesta compuesta a partir de los datos (la del modelo no se pudo comprobar).",
  composed: "Respuesta compuesta a partir de los datos.",
};

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function euros(value) {
  return Number(value).toLocaleString("es-ES", { style: "currency", currency: "EUR" });
}

function card(p) {
  const box = el("article", "card");
  box.dataset.productId = p.id;
  const title = el("div", "name");
  title.append(el("span", "ref", `[${p.ref}] `), p.name);
  box.append(title);
  box.append(el("div", "price", euros(p.price)));
  if (p.reference_price) box.append(el("div", "meta", `${euros(p.reference_price)}/${p.reference_unit}`));
  const date = new Date(p.price_date + "T00:00:00").toLocaleDateString("es-ES");
  box.append(el("div", "meta chain", `${p.chain} · precio a ${date}`));
  if (p.url) {
    const link = el("a", "meta", "Ver en la tienda");
    link.href = p.url; link.target = "_blank"; link.rel = "noopener";
    box.append(link);
  }
  return box;
}

function parseEvents(buffer, onEvent) {
  const blocks = buffer.split("\n\n");
  const rest = blocks.pop();
  for (const block of blocks) {
    let name = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (data) onEvent(name, JSON.parse(data));
  }
  return rest;
}

async function ask(message) {
  log.querySelector(".examples")?.remove();
  log.append(el("div", "turn user", message));
  const turn = el("div", "turn assistant pending");
  const text = el("div", "text");
  turn.append(text);
  log.append(turn);
  turn.scrollIntoView({ behavior: "smooth" });
  const headers = { "Content-Type": "application/json" };
  if (keyInput.value) headers["Authorization"] = `Bearer ${keyInput.value}`;
  try {
    const response = await fetch("/chat/stream", {
      method: "POST", headers,
      body: JSON.stringify({ message, conversation_id: conversation }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error?.message || `Error ${response.status}`);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseEvents(buffer + value, (name, data) => {
        if (name === "delta") text.textContent += data.text;
        else if (name === "error") throw new Error(data.error.message);
        else if (name === "done") {
          text.textContent = data.answer;
          conversation = data.conversation_id;
          localStorage.setItem("supersmart.conversation", conversation);
          if (data.products.length) {
            const cards = el("div", "cards");
            data.products.forEach((p) => cards.append(card(p)));
            turn.append(cards);
          }
          turn.append(el("div", "verdict", VERDICTS[data.grounding.verdict] || ""));
        }
      });
    }
  } catch (error) {
    turn.append(el("div", "error", error.message));
  } finally {
    turn.classList.remove("pending");
    turn.scrollIntoView({ behavior: "smooth" });
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = input.value.trim();
  if (!message) return;
  input.value = "";
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  try { await ask(message); } finally { buttons.forEach((b) => (b.disabled = false)); input.focus(); }
});

document.getElementById("reset").addEventListener("click", async () => {
  if (conversation) {
    const headers = keyInput.value ? { Authorization: `Bearer ${keyInput.value}` } : {};
    await fetch(`/conversations/${encodeURIComponent(conversation)}`, { method: "DELETE", headers });
  }
  conversation = null;
  localStorage.removeItem("supersmart.conversation");
  log.replaceChildren();
});

log.querySelectorAll(".examples button").forEach((b) =>
  b.addEventListener("click", () => { input.value = b.textContent; form.requestSubmit(); }));

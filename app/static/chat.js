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

// What a shopper reads when a request fails (the API's own message, in English, is the tooltip).
const ERRORS = {
  busy: (s) => `El asistente está atendiendo otras preguntas. Vuelve a intentarlo en ${s || "unos"} segundos.`,
  rate_limited: (s) => `Has hecho muchas preguntas seguidas. Espera ${s || "unos"} segundos y vuelve a intentarlo.`,
  unauthorized: () => "Este servicio pide una clave de API: escríbela en «Clave de API», debajo.",
  invalid_request: () => "No he podido leer la pregunta: escribe una pregunta más corta sobre un producto.",
  too_large: () => "La pregunta es demasiado larga: resúmela.",
  not_found: () => "Todavía no hay productos indexados: el administrador debe ejecutar «supersmart index».",
  store_unavailable: () => "Los datos no están disponibles ahora mismo. Inténtalo de nuevo en un momento.",
};

class ChatError extends Error {
  constructor(kind, detail, retryAfter) {
    const explain = ERRORS[kind];
    super(explain ? explain(retryAfter) : "Algo ha fallado al responder. Inténtalo de nuevo.");
    this.detail = detail;
  }
}

function headers(extra) {
  const all = { ...extra };
  if (keyInput.value) all["Authorization"] = `Bearer ${keyInput.value}`;
  return all;
}

async function failure(response) {
  const body = await response.json().catch(() => ({}));
  return new ChatError(body.error?.type, body.error?.message || `HTTP ${response.status}`,
    response.headers.get("Retry-After"));
}

// Bidi embedding, override and isolate controls are display orders, not text: one in a product
// name would reverse the rest of the answer after it ("8,25 €" read as "€ 52,8").
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
const plain = (text) => String(text).replace(BIDI_CONTROLS, "");

// Every text from the service is set as text (never as HTML), without bidi controls.
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = plain(text);
  return node;
}

function euros(value) {
  return Number(value).toLocaleString("es-ES", { style: "currency", currency: "EUR" });
}

function card(p) {
  const box = el("article", "card");
  box.dataset.productId = p.id;
  const title = el("div", "name");
  title.append(el("span", "ref", `[${p.ref}] `), plain(p.name));
  box.append(title);
  box.append(el("div", "price", euros(p.price)));
  if (p.reference_price) box.append(el("div", "meta", `${euros(p.reference_price)}/${p.reference_unit}`));
  const date = new Date(p.price_date + "T00:00:00").toLocaleDateString("es-ES");
  box.append(el("div", "meta chain", `${p.chain} · precio a ${date}`));
  if (p.url && /^https?:\/\//i.test(p.url)) {  // a link only to a web page, never javascript:
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

function assistantTurn(content) {
  const turn = el("div", "turn assistant");
  const text = el("div", "text", content);
  turn.append(text);
  log.append(turn);
  return { turn, text };
}

async function ask(message) {
  log.querySelector(".examples")?.remove();
  log.append(el("div", "turn user", message));
  const { turn, text } = assistantTurn("");
  turn.classList.add("pending");
  turn.scrollIntoView({ behavior: "smooth" });
  try {
    const response = await fetch("/chat/stream", {
      method: "POST", headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ message, conversation_id: conversation }),
    });
    if (!response.ok) throw await failure(response);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseEvents(buffer + value, (name, data) => {
        if (name === "delta") text.textContent += plain(data.text);
        else if (name === "error") throw new ChatError(data.error.type, data.error.message);
        else if (name === "done") {
          text.textContent = plain(data.answer);
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
    const shown = el("div", "error", error instanceof ChatError ? error.message
      : "No se pudo conectar con el servicio. Comprueba la conexión y vuelve a intentarlo.");
    shown.title = error.detail || error.message;
    turn.append(shown);
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
    await fetch(`/conversations/${encodeURIComponent(conversation)}`,
      { method: "DELETE", headers: headers({}) });
  }
  conversation = null;
  localStorage.removeItem("supersmart.conversation");
  log.replaceChildren();
});

log.querySelectorAll(".examples button").forEach((b) =>
  b.addEventListener("click", () => { input.value = b.textContent; form.requestSubmit(); }));

// After a reload, show the conversation the service still remembers (its text; the product
// cards of earlier answers are not stored), so a follow-up such as "¿y en Dia?" makes sense.
async function restore() {
  if (!conversation) return;
  const response = await fetch(`/conversations/${encodeURIComponent(conversation)}`,
    { headers: headers({}) }).catch(() => null);
  if (!response) return;
  if (response.status === 404) {
    conversation = null;
    localStorage.removeItem("supersmart.conversation");
    return;
  }
  if (!response.ok) return;
  const { messages } = await response.json();
  if (!messages.length) return;
  log.querySelector(".examples")?.remove();
  for (const m of messages) {
    if (m.role === "user") log.append(el("div", "turn user", m.content));
    else assistantTurn(m.content).turn.classList.add("restored");
  }
  log.append(el("div", "restored-note",
    "Conversación anterior. Pulsa «Nueva» para empezar de cero."));
}

restore();

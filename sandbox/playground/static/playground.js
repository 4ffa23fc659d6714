// The playground page: the emulator's chats drawn like Telegram, and the sandbox panel.
// Plain browser JavaScript, no build step. Everything the bot wrote is drawn from its text and
// entities (as Telegram does), never inserted as HTML.
"use strict";

const state = {
  setup: null,
  seat: null, // the key of the chat on screen
  chats: {}, // seat key -> the chat as /api/chats/{seat} last gave it
  seen: {}, // seat key -> the highest message id looked at
  loads: {}, // seat key -> the number of its latest load, so an older answer never wins
  replyTo: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["content-type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

// -- toasts ------------------------------------------------------------------------------------

function toast(text, kind = "") {
  const box = el("div", { class: `toast ${kind}`, role: kind === "alert" ? "alertdialog" : "status" },
    text);
  if (kind === "alert") {
    box.append(el("button", { type: "button", onclick: () => box.remove() }, "OK"));
  } else {
    setTimeout(() => box.remove(), kind === "error" ? 6000 : 3500);
  }
  $("toasts").append(box);
}

function failed(error) {
  toast(error.message || String(error), "error");
}

// -- formatted text ----------------------------------------------------------------------------

const SAFE_LINK = /^(https?:|tg:|mailto:)/i;

function entityNode(entity) {
  switch (entity.type) {
    case "bold": return el("strong");
    case "italic": return el("em");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre", { "data-language": entity.language });
    case "blockquote":
    case "expandable_blockquote": return el("blockquote");
    case "spoiler": {
      const node = el("span", { class: "spoiler", title: "Spoiler" });
      node.addEventListener("click", () => node.classList.add("shown"));
      return node;
    }
    case "text_link":
      return SAFE_LINK.test(entity.url || "")
        ? el("a", { href: entity.url, target: "_blank", rel: "noopener noreferrer" })
        : el("span");
    default: return el("span", { "data-entity": entity.type });
  }
}

// Offsets are in UTF-16 code units, as JavaScript strings count them; entities nest.
function formatted(text, entities) {
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const fill = (parent, start, end, list) => {
    let position = start;
    let i = 0;
    while (i < list.length) {
      const entity = list[i];
      const entityEnd = Math.min(entity.offset + entity.length, end);
      let j = i + 1;
      while (j < list.length && list[j].offset < entityEnd) j++;
      if (entity.offset > position) parent.append(text.slice(position, entity.offset));
      const node = entityNode(entity);
      fill(node, Math.max(entity.offset, position), entityEnd, list.slice(i + 1, j));
      parent.append(node);
      position = Math.max(position, entityEnd);
      i = j;
    }
    if (position < end) parent.append(text.slice(position, end));
  };
  const root = el("div", { class: "text" });
  fill(root, 0, text.length, sorted);
  return root;
}

// -- the chat list -----------------------------------------------------------------------------

function preview(chat) {
  const last = chat && chat.messages[chat.messages.length - 1];
  if (!last) return "";
  if (last.successful_payment) return "Payment sent";
  if (last.media && !last.text) return last.media.kind === "photo" ? "Photo" : last.media.file_name;
  return (last.text || "").split("\n")[0];
}

function unread(seat) {
  const chat = state.chats[seat];
  if (!chat || seat === state.seat) return 0;
  const seen = state.seen[seat] || 0;
  return chat.messages.filter((m) => m.from_bot && m.message_id > seen).length;
}

function drawSeats() {
  const nav = $("seats");
  nav.replaceChildren(
    ...state.setup.seats.map((seat) => {
      const count = unread(seat.key);
      return el("button", {
        type: "button",
        class: `seat${seat.key === state.seat ? " current" : ""}`,
        dataset: { seat: seat.key },
        onclick: () => openSeat(seat.key),
      },
      el("div", { class: "seat-name" }, seat.title,
        count ? el("span", { class: "unread" }, String(count)) : null),
      el("div", { class: "muted" }, seat.role),
      el("div", { class: "preview" }, preview(state.chats[seat.key])));
    }),
  );
}

// -- one chat ----------------------------------------------------------------------------------

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function size(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

function mediaNode(message) {
  const media = message.media;
  if (!media) return null;
  const url = `/api/files/${encodeURIComponent(media.file_id)}`;
  if (media.kind === "photo") {
    return el("img", { class: "photo", src: url, alt: media.file_name || "Photo" });
  }
  return el("a", { class: "document", href: `${url}?download=1`, download: media.file_name },
    el("span", { class: "icon-file" }, "📄"),
    el("span", {}, el("div", { class: "file-name" }, media.file_name),
      el("div", { class: "muted" }, size(media.size))));
}

function keyboard(seatKey, message) {
  if (!message.buttons.length) return null;
  return el("div", { class: "keyboard" }, ...message.buttons.map((row) => el("div", { class: "row" },
    ...row.map((button) => {
      if (button.url) {
        return SAFE_LINK.test(button.url)
          ? el("a", { class: "key url", href: button.url, target: "_blank",
            rel: "noopener noreferrer" }, button.text)
          : el("button", { class: "key", type: "button", disabled: true }, button.text);
      }
      if (button.pay) {
        return el("button", {
          class: "key pay", type: "button", disabled: message.paid,
          onclick: (event) => pay(seatKey, message.message_id, event.currentTarget),
        }, message.paid ? "Paid" : button.text);
      }
      return el("button", {
        class: "key", type: "button",
        onclick: (event) => press(seatKey, message.message_id, button.callback_data,
          event.currentTarget),
      }, button.text);
    }))));
}

function messageNode(seatKey, chat, message) {
  if (message.successful_payment) {
    const paid = message.successful_payment;
    return el("div", { class: "service", dataset: { messageId: message.message_id } },
      `You paid ${paid.total_amount} ${paid.currency === "XTR" ? "⭐" : paid.currency}`);
  }
  const { group } = state.setup.seats.find((s) => s.key === seatKey);
  const quoted = message.reply_to && chat.messages.find((m) => m.message_id === message.reply_to);
  const invoice = message.invoice;
  const bubble = el("div", { class: "bubble" },
    group && !message.mine ? el("div", { class: "sender" }, message.sender) : null,
    quoted ? el("div", { class: "quote" }, (quoted.text || "").split("\n")[0]) : null,
    mediaNode(message),
    invoice ? el("div", { class: "invoice" },
      el("div", { class: "total" }, invoice.title),
      el("div", {}, invoice.description),
      el("div", { class: "total" }, `${invoice.total_amount} ${invoice.currency === "XTR" ? "⭐" : invoice.currency}`))
      : null,
    message.text ? formatted(message.text, message.entities) : null,
    el("div", { class: "meta" }, message.edited ? `edited ${clock(message.date)}` : clock(message.date)),
    el("button", {
      class: "reply-action", type: "button", title: "Reply", "aria-label": "Reply",
      onclick: () => startReply(message),
    }, "↩"));
  return el("div", {
    class: `message ${message.mine ? "mine" : message.from_bot ? "bot" : "other"}`,
    dataset: { messageId: message.message_id },
  }, bubble, keyboard(seatKey, message));
}

function drawChat() {
  const chat = state.chats[state.seat];
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const seat = state.setup.seats.find((s) => s.key === state.seat);
  $("chat-title").textContent = seat.title;
  $("chat-role").textContent = seat.role;
  box.replaceChildren(...(chat ? chat.messages.map((m) => messageNode(state.seat, chat, m)) : []));
  if (atBottom) box.scrollTop = box.scrollHeight;
  if (chat && chat.messages.length) {
    state.seen[state.seat] = Math.max(...chat.messages.map((m) => m.message_id));
  }
  drawCommands();
}

async function loadChat(seatKey) {
  const ticket = (state.loads[seatKey] || 0) + 1;
  state.loads[seatKey] = ticket;
  const chat = await api("GET", `/api/chats/${seatKey}`);
  if (state.loads[seatKey] !== ticket) return; // a newer load is on its way
  state.chats[seatKey] = chat;
  if (seatKey === state.seat) drawChat();
  drawSeats();
}

function openSeat(seatKey) {
  state.seat = seatKey;
  cancelReply();
  $("command-menu").hidden = true;
  drawChat();
  drawSeats();
  $("messages").scrollTop = $("messages").scrollHeight;
  loadChat(seatKey).catch(failed);
  $("text").focus();
}

// -- acting in the chat --------------------------------------------------------------------------

async function press(seatKey, messageId, data, button) {
  button.classList.add("pressing");
  try {
    const answer = await api("POST", `/api/chats/${seatKey}/press`, { message_id: messageId, data });
    if (answer.text) toast(answer.text, answer.show_alert ? "alert" : "");
  } catch (error) {
    failed(error);
  } finally {
    button.classList.remove("pressing");
  }
}

async function pay(seatKey, messageId, button) {
  button.classList.add("pressing");
  try {
    const result = await api("POST", `/api/chats/${seatKey}/pay`, { message_id: messageId });
    if (result.status === "declined") toast(result.error_message || "Payment declined", "alert");
    else if (result.status === "no_answer") toast("The bot did not confirm the payment in time; nothing was charged.", "alert");
  } catch (error) {
    failed(error);
  } finally {
    button.classList.remove("pressing");
  }
}

function startReply(message) {
  state.replyTo = message.message_id;
  $("reply-text").textContent = (message.text || message.media?.file_name || "").split("\n")[0];
  $("reply-bar").hidden = false;
  $("text").focus();
}

function cancelReply() {
  state.replyTo = null;
  $("reply-bar").hidden = true;
}

async function send(event) {
  event.preventDefault();
  const input = $("text");
  const text = input.value;
  if (!text.trim()) return;
  try {
    await api("POST", `/api/chats/${state.seat}/send`, { text, reply_to: state.replyTo });
    input.value = "";
    cancelReply();
    $("command-menu").hidden = true;
    $("messages").scrollTop = $("messages").scrollHeight;
  } catch (error) {
    failed(error);
  }
}

function drawCommands() {
  const chat = state.chats[state.seat];
  const commands = chat ? chat.commands : [];
  $("commands-button").disabled = !commands.length;
  $("command-menu").replaceChildren(...commands.map((command) => el("button", {
    type: "button", class: "command",
    onclick: () => {
      $("text").value = `/${command.command} `;
      $("command-menu").hidden = true;
      $("text").focus();
    },
  }, el("span", { class: "name" }, `/${command.command}`), el("span", {}, command.description))));
}

// -- the sandbox panel ---------------------------------------------------------------------------

function rows(listId, items, draw, empty) {
  const list = $(listId);
  list.replaceChildren(...(items.length ? items.map(draw) : [el("li", { class: "empty" }, empty)]));
}

function statusTag(status) {
  const good = ["SUCCESS", "Paid", "Finished", "confirmed"].includes(status);
  const bad = ["FAIL", "Failed", "Expired"].includes(status);
  return el("span", { class: `status${good ? " good" : bad ? " bad" : ""}` }, status);
}

async function sandboxAction(method, path, body, done) {
  try {
    const result = await api(method, path, body);
    if (done) toast(done(result));
    await loadSandbox();
  } catch (error) {
    failed(error);
  }
}

function sendUsdt(amount) {
  return sandboxAction("POST", "/api/sandbox/usdt", { amount },
    (result) => `Sent ${result.amount} USDT to the deposit address`);
}

let sandboxLoads = 0;
async function loadSandbox() {
  const ticket = ++sandboxLoads;
  const sandbox = await api("GET", "/api/sandbox");
  if (ticket !== sandboxLoads) return; // a newer load is on its way
  rows("deposit-requests", sandbox.deposit_requests, (request) => el("li", {},
    el("span", {}, `${request.customer} · ${request.amount} USDT`),
    el("button", { type: "button", onclick: () => sendUsdt(request.amount) }, "Send this transfer")),
  "Nobody has asked to top up by USDT.");
  rows("transfers", sandbox.transfers, (transfer) => el("li", {},
    el("span", {}, `${transfer.amount} USDT`),
    el("span", { class: "txid", title: transfer.txid }, `${transfer.txid.slice(0, 10)}…`),
    statusTag(transfer.confirmed ? "confirmed" : "pending")),
  "No transfers yet.");
  const titles = Object.fromEntries(state.setup.upstreams.map((u) => [u.name, u.title]));
  rows("armed-faults", sandbox.faults, (fault) => el("li", {},
    el("span", {}, titles[fault.upstream]), statusTag(`next order: ${fault.kind}`)),
  "Every upstream behaves.");
  rows("topup-orders", sandbox.topups, (order) => el("li", {},
    el("span", {}, `${order.product} → ${order.account}`), statusTag(order.status),
    order.status === "SUCCESS"
      ? el("button", {
        type: "button",
        onclick: () => sandboxAction("POST", `/api/sandbox/topups/${encodeURIComponent(order.serial)}/reverse`,
          undefined, () => "The carrier reversed the top-up; KUMQUAT calls the shop back"),
      }, "Succeed, then fail")
      : null),
  "No top-ups yet.");
  rows("acedata-orders", sandbox.acedata, (order) => el("li", {},
    el("span", {}, `${order.package} · ${order.price} USD`), statusTag(order.state),
    order.state === "Pending"
      ? el("button", {
        type: "button",
        onclick: () => sandboxAction("POST", `/api/sandbox/acedata/${encodeURIComponent(order.id)}/pay`,
          undefined, () => "Marked paid at AceData"),
      }, "Mark paid")
      : null),
  "No AceData orders yet.");
}

let sandboxTimer = null;
function refreshSandboxSoon() {
  clearTimeout(sandboxTimer);
  sandboxTimer = setTimeout(() => loadSandbox().catch(failed), 150);
}

// -- start ---------------------------------------------------------------------------------------

function listen() {
  const events = new EventSource("/api/events");
  events.addEventListener("hello", () => {
    for (const seat of state.setup.seats) loadChat(seat.key).catch(failed);
    refreshSandboxSoon();
  });
  events.addEventListener("chat", (event) => {
    const { seat } = JSON.parse(event.data);
    loadChat(seat).catch(failed);
  });
  events.addEventListener("sandbox", refreshSandboxSoon);
}

async function start() {
  state.setup = await api("GET", "/api/setup");
  const emulated = state.setup.mode === "emulator";
  $("mode").textContent = emulated
    ? `offline · Telegram emulated · bot ${state.setup.bot}`
    : "your Telegram · upstreams simulated";
  $("seats").hidden = !emulated;
  $("chat").hidden = !emulated;
  $("real-telegram").hidden = emulated;
  rows("sample-list", state.setup.samples, (sample) => el("li", {},
    el("span", {}, sample.what),
    el("button", {
      type: "button", class: "sample", title: sample.value,
      onclick: () => {
        if (emulated) {
          $("text").value = sample.value;
          $("text").focus();
        } else {
          navigator.clipboard.writeText(sample.value).then(
            () => toast(`Copied ${sample.value}`), failed);
        }
      },
    }, sample.value)),
  "");
  $("deposit-address").textContent = state.setup.deposit_address;
  $("deposit-every").textContent = String(state.setup.deposit_check_seconds);
  $("fault-upstream").replaceChildren(...state.setup.upstreams.map(
    (upstream) => el("option", { value: upstream.name }, upstream.title)));

  $("usdt-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendUsdt($("usdt-amount").value.trim()).then(() => { $("usdt-amount").value = ""; });
  });
  for (const button of document.querySelectorAll("[data-fault]")) {
    button.addEventListener("click", () => {
      const upstream = $("fault-upstream").value;
      const title = $("fault-upstream").selectedOptions[0].textContent;
      sandboxAction("POST", "/api/sandbox/faults", { upstream, kind: button.dataset.fault },
        () => `${title}: ${button.textContent.trim().toLowerCase()}`);
    });
  }
  $("faults-clear").addEventListener("click",
    () => sandboxAction("DELETE", "/api/sandbox/faults", undefined, () => "Faults cleared"));

  if (emulated) {
    $("composer").addEventListener("submit", send);
    $("reply-cancel").addEventListener("click", cancelReply);
    $("commands-button").addEventListener("click", () => {
      $("command-menu").hidden = !$("command-menu").hidden;
    });
    state.seat = state.setup.seats[0].key;
    drawSeats();
    await Promise.all(state.setup.seats.map((seat) => loadChat(seat.key)));
    openSeat(state.seat);
  }
  await loadSandbox();
  listen();
}

start().catch(failed);

// siogate chat: the page, in plain JavaScript on the official socket.io-client
// (the global `io` of vendor/socket.io.min.js). The server side is
// cmd/siogate/chat; docs/chat.md lists the events and their payloads.
//
// Query parameters: name=<nickname> enters at once, room=<room> is the first
// room (default lobby), token=<JWT> signs in when the gateway checks tokens,
// transports=polling|websocket forces a transport (default: long-polling
// first, then the upgrade to WebSocket).

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

/** Attachment types the server accepts (cmd/siogate/chat/validate.go). */
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
const VOICE_TYPES = ["audio/webm", "audio/ogg", "audio/mp4"];
/** Messages kept on screen per conversation. */
const MAX_ITEMS = 500;
/** How long a typing indicator lasts without a new one, ms. */
const TYPING_MS = 3500;
/** A typing event is sent at most this often, ms. */
const TYPING_EVERY_MS = 2000;
/** How long the server may take to answer an event, ms. */
const ACK_TIMEOUT_MS = 10000;

const state = {
  cfg: null, // /config.json
  socket: null,
  me: null, // {id, name, verified}, from "hello"
  convs: new Map(), // key ("#room" or "@member-id") -> conversation
  current: null, // key of the open conversation
  rooms: [], // [{name, members}] from "rooms"
  everConnected: false,
  typingSentAt: 0,
  recorder: null,
};

// ---------------------------------------------------------------- helpers

/** Creates an element with a class and text (never HTML). */
function el(tag, cls = "", text = "") {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function fmtTime(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function avatar(name, cls = "avatar") {
  const a = el("span", cls, (name || "?").slice(0, 1));
  // A stable hue per name.
  let h = 0;
  for (const c of name || "") h = (h * 31 + c.codePointAt(0)) % 360;
  a.style.background = `hsl(${h} 55% 48%)`;
  return a;
}

let errorTimer = 0;
function showError(id, text) {
  $(id).textContent = text;
  clearTimeout(errorTimer);
  if (text) errorTimer = setTimeout(() => ($(id).textContent = ""), 8000);
}

/** Emits event and resolves with the server's answer; {error} rejects. */
async function call(event, ...args) {
  const ack = await state.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, ...args);
  if (ack && typeof ack === "object" && "error" in ack) throw new Error(ack.error);
  return ack;
}

// ---------------------------------------------------------- conversations

/** Returns the conversation for a room or a member, creating it. */
function conversation(kind, name, title = name) {
  const key = (kind === "room" ? "#" : "@") + name;
  let c = state.convs.get(key);
  if (!c) {
    c = {
      key, kind, name, title,
      joined: false, // rooms: this tab is in the room
      members: new Map(), // rooms: id -> member
      list: el("ol", "messages"),
      ids: new Set(), // message ids shown (history replays repeat them)
      unread: 0,
      typing: new Map(), // member id -> {name, until}
    };
    state.convs.set(key, c);
  }
  return c;
}

function currentConv() {
  return state.current ? state.convs.get(state.current) : null;
}

function appendItem(conv, li) {
  const list = conv.list;
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(li);
  while (list.children.length > MAX_ITEMS) {
    const first = list.firstElementChild;
    first.querySelectorAll("img, audio").forEach((m) => URL.revokeObjectURL(m.src));
    first.remove();
  }
  if (atBottom || li.classList.contains("mine")) list.scrollTop = list.scrollHeight;
}

function openConv(key) {
  const conv = state.convs.get(key);
  if (!conv) return;
  state.current = key;
  conv.unread = 0;
  $("messages").replaceWith(conv.list);
  conv.list.id = "messages";
  conv.list.scrollTop = conv.list.scrollHeight;
  $("app").dataset.conv = conv.kind;
  $("app").classList.remove("show-sidebar");
  renderHeader();
  renderMembers();
  renderLists();
  renderTyping();
  $("text").focus();
}

function closeConv(key) {
  state.convs.delete(key);
  if (state.current !== key) return renderLists();
  state.current = null;
  const next = [...state.convs.keys()][0];
  if (next) return openConv(next);
  const empty = el("ol", "messages");
  empty.append(el("li", "placeholder", "Join a room to start chatting."));
  $("messages").replaceWith(empty);
  empty.id = "messages";
  $("app").dataset.conv = "none";
  renderHeader();
  renderLists();
}

// -------------------------------------------------------------- rendering

function renderHeader() {
  const conv = currentConv();
  $("leave").hidden = !conv || conv.kind !== "room";
  if (!conv) {
    $("conv-title").textContent = "No conversation";
    $("conv-sub").textContent = "";
    return;
  }
  if (conv.kind === "room") {
    $("conv-title").textContent = `# ${conv.name}`;
    const n = conv.members.size;
    $("conv-sub").textContent = `${n} ${n === 1 ? "member" : "members"} online`;
  } else {
    $("conv-title").textContent = conv.title;
    $("conv-sub").textContent = "direct message";
  }
}

function renderLists() {
  // Rooms: the server's list, plus the rooms this tab is in.
  const rooms = new Map(state.rooms.map((r) => [r.name, r.members]));
  for (const c of state.convs.values()) {
    if (c.kind === "room" && c.joined) rooms.set(c.name, Math.max(rooms.get(c.name) || 0, c.members.size));
  }
  const roomItems = [...rooms.keys()].sort().map((name) => {
    const conv = state.convs.get("#" + name);
    const li = el("li");
    li.dataset.room = name;
    li.classList.toggle("joined", !!conv?.joined);
    li.classList.toggle("current", state.current === "#" + name);
    const b = el("button");
    b.type = "button";
    b.append(el("span", "hash", "#"), el("span", "name", name), el("span", "count", String(rooms.get(name))),
      el("span", "badge", conv?.unread ? String(conv.unread) : ""));
    b.title = conv?.joined ? `Open #${name}` : `Join #${name}`;
    b.addEventListener("click", () => (conv?.joined ? openConv(conv.key) : joinRoom(name)));
    li.append(b);
    return li;
  });
  $("room-list").replaceChildren(...roomItems);
  if (!roomItems.length) $("room-list").append(el("li", "empty", "No rooms yet."));

  const dms = [...state.convs.values()].filter((c) => c.kind === "dm");
  const dmItems = dms.map((conv) => {
    const li = el("li");
    li.dataset.key = conv.key;
    li.classList.add("joined");
    li.classList.toggle("current", state.current === conv.key);
    const b = el("button");
    b.type = "button";
    b.append(avatar(conv.title, "avatar small"), el("span", "name", conv.title), el("span", "badge", conv.unread ? String(conv.unread) : ""));
    b.addEventListener("click", () => openConv(conv.key));
    li.append(b);
    return li;
  });
  $("dm-list").replaceChildren(...dmItems);
  if (!dmItems.length) $("dm-list").append(el("li", "empty", "Click a name to write to someone."));
}

function renderMembers() {
  const conv = currentConv();
  const items = [];
  if (conv?.kind === "room") {
    const members = [...conv.members.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const m of members) {
      const li = el("li");
      li.dataset.id = m.id;
      const b = el("button");
      b.type = "button";
      const mine = m.id === state.me?.id;
      b.disabled = mine;
      b.title = mine ? "you" : `Write to ${m.name}`;
      b.append(avatar(m.name), el("span", "name", mine ? `${m.name} (you)` : m.name));
      if (m.verified) b.append(el("span", "verified", "✓"));
      b.append(el("span", "online"));
      if (!mine) b.addEventListener("click", () => openConv(conversation("dm", m.id, m.name).key));
      li.append(b);
      items.push(li);
    }
  }
  $("members").replaceChildren(...items);
  renderHeader();
}

function renderTyping() {
  const conv = currentConv();
  let names = [];
  if (conv) {
    const now = Date.now();
    for (const [id, t] of conv.typing) {
      if (t.until < now) conv.typing.delete(id);
      else names.push(t.name);
    }
  }
  let text = "";
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = "Several people are typing…";
  $("typing").textContent = text;
}

/** Builds the list item of a message (text always as text, never HTML). */
function renderMessage(msg, data, mine) {
  const li = el("li", `msg ${mine ? "mine" : "theirs"}`);
  if (msg.id) li.dataset.id = msg.id;
  if (msg.history) li.classList.add("history");
  const meta = el("div", "meta");
  const from = el("span", "from", mine ? "you" : msg.from.name);
  if (msg.from.verified && !mine) from.append(el("span", "verified", " ✓"));
  const time = el("time", "", fmtTime(msg.ts));
  time.dateTime = new Date(msg.ts).toISOString();
  meta.append(from, time);
  const bubble = el("div", msg.file && !msg.text ? "bubble media-only" : "bubble");
  if (msg.file) bubble.append(renderFile(msg.file, data));
  if (msg.text) bubble.append(el("span", "text", msg.text));
  li.append(meta, bubble);
  if (mine) li.append(el("span", "tick"));
  return li;
}

function renderFile(file, data) {
  const image = file.type.startsWith("image/");
  if (file.expired || !data) {
    return el("span", "expired", `${image ? "Image" : "Voice clip"} no longer available`);
  }
  const url = URL.createObjectURL(new Blob([data], { type: file.type }));
  if (image) {
    const img = new Image();
    img.src = url;
    img.alt = file.name || "image";
    img.dataset.size = String(file.size);
    return img;
  }
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.preload = "metadata";
  audio.src = url;
  audio.dataset.size = String(file.size);
  return audio;
}

// ------------------------------------------------------------- connection

function setStatus(st) {
  $("status").dataset.state = st;
  $("status-text").textContent = st;
  renderHeadStatus();
}

function setTransport(name) {
  $("status").dataset.transport = name;
  $("transport").textContent = name;
  renderHeadStatus();
}

/** The header's copy of the status, shown when the sidebar is folded away. */
function renderHeadStatus() {
  const st = $("status").dataset;
  $("head-status").dataset.state = st.state;
  $("head-status").querySelector(".text").textContent = st.transport ? `${st.state} · ${st.transport}` : st.state;
}

function transports() {
  const t = params.get("transports");
  return t ? t.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
}

function connect(name) {
  const auth = { name };
  if (params.get("token")) auth.token = params.get("token");
  const socket = io(state.cfg.namespace, {
    path: state.cfg.path,
    auth,
    transports: transports(),
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
  });
  state.socket = socket;

  socket.on("connect", onConnect);
  socket.on("connect_error", (err) => {
    if (socket.active) {
      // A network error: the client retries by itself.
      setStatus("reconnecting");
      if (!state.everConnected) showError("login-error", "Cannot reach the server; retrying…");
      return;
    }
    // The server refused the connection (CONNECT_ERROR): no retry.
    setStatus("offline");
    if (!state.everConnected) {
      socket.close();
      state.socket = null;
      $("login-form").querySelector("button").disabled = false;
      showError("login-error", err.message);
    } else {
      showError("composer-error", `Refused by the server: ${err.message}`);
    }
  });
  socket.on("disconnect", () => {
    setStatus(socket.active ? "reconnecting" : "offline");
    setTransport("");
  });
  socket.io.on("reconnect_attempt", () => setStatus("reconnecting"));
  socket.io.on("reconnect_failed", () => setStatus("offline"));

  socket.on("message", onMessage);
  socket.on("presence", onPresence);
  socket.on("typing", onTyping);
}

async function onConnect() {
  const socket = state.socket;
  setStatus("connected");
  const engine = socket.io.engine;
  setTransport(engine.transport.name);
  engine.once("upgrade", (t) => setTransport(t.name));
  try {
    state.me = (await call("hello")).me;
  } catch (e) {
    showError("composer-error", `hello: ${e.message}`);
    return;
  }
  $("me-name").textContent = state.me.name + (state.me.verified ? " ✓" : "");
  $("me-avatar").replaceWith(Object.assign(avatar(state.me.name), { id: "me-avatar" }));
  if (!state.everConnected) {
    state.everConnected = true;
    showError("login-error", "");
    $("app").dataset.view = "chat";
    $("app").dataset.conv = "none";
    await joinRoom(params.get("room") || "lobby");
  } else {
    // A new connection (the server restarted, or the network came back):
    // the server forgot this socket's rooms, so join them again. The
    // history they replay is deduplicated by message id.
    for (const c of [...state.convs.values()]) {
      if (c.kind === "room" && c.joined) await joinRoom(c.name, { open: false });
    }
  }
  refreshRooms();
}

async function refreshRooms() {
  if (!state.socket?.connected) return;
  try {
    state.rooms = (await call("rooms")).rooms;
    renderLists();
  } catch (e) {
    // The list is refreshed again soon.
  }
}

async function joinRoom(name, { open = true } = {}) {
  name = name.trim();
  const existed = state.convs.has("#" + name);
  const conv = conversation("room", name); // before the answer: the history replay lands in it
  try {
    const ack = await call("join", { room: name });
    conv.joined = true;
    conv.members = new Map(ack.members.map((m) => [m.id, m]));
    if (open) openConv(conv.key);
    else if (state.current === conv.key) renderMembers();
    refreshRooms();
    return true;
  } catch (e) {
    if (!existed) state.convs.delete(conv.key);
    showError("room-error", `#${name}: ${e.message}`);
    renderLists();
    return false;
  }
}

async function leaveRoom(conv) {
  try {
    await call("leave", { room: conv.name });
  } catch (e) {
    showError("composer-error", e.message);
    return;
  }
  closeConv(conv.key);
  refreshRooms();
}

// ----------------------------------------------------------------- events

function onMessage(msg, data) {
  let conv;
  if (msg.room) {
    conv = state.convs.get("#" + msg.room);
    if (!conv) return; // left the room meanwhile
  } else {
    const peer = msg.from.id === state.me?.id ? msg.to : msg.from;
    conv = conversation("dm", peer.id, peer.name);
  }
  if (conv.ids.has(msg.id)) return;
  conv.ids.add(msg.id);
  const mine = msg.from.id === state.me?.id;
  const li = renderMessage(msg, data, mine);
  if (mine) li.classList.add("delivered"); // sent from another tab of mine
  conv.typing.delete(msg.from.id);
  appendItem(conv, li);
  if (conv.key !== state.current && !msg.history) conv.unread++;
  if (conv.key === state.current) renderTyping();
  renderLists();
}

function onPresence(ev) {
  const conv = state.convs.get("#" + ev.room);
  if (!conv) return;
  if (ev.action === "join") conv.members.set(ev.user.id, ev.user);
  else conv.members.delete(ev.user.id);
  appendItem(conv, el("li", "system", `${ev.user.name} ${ev.action === "join" ? "joined" : "left"}`));
  const r = state.rooms.find((x) => x.name === ev.room);
  if (r) r.members = ev.members;
  if (conv.key === state.current) renderMembers();
  renderLists();
}

function onTyping(ev) {
  const conv = state.convs.get(ev.room ? "#" + ev.room : "@" + ev.user.id);
  if (!conv) return;
  conv.typing.set(ev.user.id, { name: ev.user.name, until: Date.now() + TYPING_MS });
  if (conv.key === state.current) {
    renderTyping();
    setTimeout(renderTyping, TYPING_MS + 100);
  }
}

// ---------------------------------------------------------------- sending

/** Sends text and/or an attachment (a Blob with a name) to conv. */
async function sendPost(conv, text, file) {
  if (!conv || !state.socket) return;
  const payload = conv.kind === "room" ? { room: conv.name } : { to: conv.name };
  payload.text = text;
  let data;
  if (file) {
    data = await file.blob.arrayBuffer();
    payload.file = { name: file.name, type: file.type };
    payload.data = data;
  }
  const msg = {
    from: state.me, text, ts: Date.now(),
    file: file ? { name: file.name, type: file.type, size: file.blob.size } : undefined,
  };
  const li = renderMessage(msg, data, true);
  li.classList.add("pending");
  appendItem(conv, li);
  try {
    const ack = await call(conv.kind === "room" ? "send" : "dm", payload);
    conv.ids.add(ack.id);
    li.dataset.id = ack.id;
    li.classList.replace("pending", "delivered");
    li.querySelector(".tick").title = "delivered";
  } catch (e) {
    li.classList.replace("pending", "failed");
    li.querySelector(".tick").textContent = `not sent: ${e.message}`;
  }
}

/** Checks an attachment against the server's limits, then sends it. */
function sendAttachment(conv, blob, name) {
  const type = (blob.type || "").split(";")[0];
  if (!IMAGE_TYPES.includes(type) && !VOICE_TYPES.includes(type)) {
    return showError("composer-error", `${name}: ${type || "this file type"} cannot be sent (images: PNG, JPEG, GIF, WebP).`);
  }
  if (blob.size > state.cfg.maxAttachment) {
    return showError("composer-error",
      `${name} is ${fmtSize(blob.size)}; the limit is ${fmtSize(state.cfg.maxAttachment)}.`);
  }
  sendPost(conv, "", { blob, name, type });
}

function sendText() {
  const conv = currentConv();
  const text = $("text").value.trim();
  if (!conv || !text) return;
  if ([...text].length > state.cfg.maxMessageLen) {
    return showError("composer-error", `The message is too long (${[...text].length} characters; at most ${state.cfg.maxMessageLen}).`);
  }
  $("text").value = "";
  autoGrow();
  state.typingSentAt = 0;
  sendPost(conv, text, null);
}

function autoGrow() {
  const t = $("text");
  t.style.height = "auto";
  t.style.height = `${Math.min(t.scrollHeight + 2, 140)}px`;
}

// -------------------------------------------------------------- recording

async function toggleRecording() {
  if (state.recorder) {
    state.recorder.stop();
    return;
  }
  const conv = currentConv();
  if (!conv) return;
  if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) {
    return showError("composer-error", "This browser cannot record audio.");
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    return showError("composer-error", `No microphone: ${e.message}`);
  }
  const wanted = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"]
    .find((t) => MediaRecorder.isTypeSupported(t));
  const rec = new MediaRecorder(stream, { mimeType: wanted, audioBitsPerSecond: 32000 });
  const chunks = [];
  const started = Date.now();
  const tick = setInterval(() => {
    const s = Math.floor((Date.now() - started) / 1000);
    $("record-time").textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    if (s >= state.cfg.voiceSeconds) rec.stop();
  }, 250);
  rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
  rec.onstop = () => {
    clearInterval(tick);
    stream.getTracks().forEach((t) => t.stop());
    state.recorder = null;
    $("record").setAttribute("aria-pressed", "false");
    $("record-time").textContent = "";
    const type = (rec.mimeType || wanted || "audio/webm").split(";")[0];
    const ext = { "audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a" }[type] || "webm";
    sendAttachment(conv, new Blob(chunks, { type }), `voice.${ext}`);
  };
  rec.start(250);
  state.recorder = rec;
  $("record").setAttribute("aria-pressed", "true");
  $("record-time").textContent = "0:00";
}

// ------------------------------------------------------------------ setup

function wireUI() {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("nickname").value.trim();
    if (!name && !params.get("token")) return showError("login-error", "Pick a nickname.");
    if ([...name].length > state.cfg.maxNameLen) {
      return showError("login-error", `At most ${state.cfg.maxNameLen} characters.`);
    }
    try {
      localStorage.setItem("siogate-chat-name", name);
    } catch (_) {
      // Storage may be off; the name is only a convenience.
    }
    $("login-form").querySelector("button").disabled = true;
    showError("login-error", "");
    connect(name);
  });
  $("room-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("room-input").value.trim();
    if (!name) return;
    $("room-input").value = "";
    const conv = state.convs.get("#" + name);
    if (conv?.joined) openConv(conv.key);
    else joinRoom(name);
  });
  $("leave").addEventListener("click", () => {
    const conv = currentConv();
    if (conv?.kind === "room") leaveRoom(conv);
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    sendText();
  });
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText();
    }
  });
  $("text").addEventListener("input", () => {
    autoGrow();
    const conv = currentConv();
    if (!conv || !state.socket?.connected || !$("text").value) return;
    const now = Date.now();
    if (now - state.typingSentAt < TYPING_EVERY_MS) return;
    state.typingSentAt = now;
    // Volatile: a typing hint is worth nothing later, so it is never buffered.
    state.socket.volatile.emit("typing", conv.kind === "room" ? { room: conv.name } : { to: conv.name });
  });
  $("text").addEventListener("paste", (e) => {
    const file = [...(e.clipboardData?.files || [])].find((f) => f.type.startsWith("image/"));
    if (file && currentConv()) {
      e.preventDefault();
      sendAttachment(currentConv(), file, file.name || "pasted image");
    }
  });
  $("file-input").addEventListener("change", () => {
    const file = $("file-input").files[0];
    $("file-input").value = "";
    if (file && currentConv()) sendAttachment(currentConv(), file, file.name);
  });
  $("record").addEventListener("click", toggleRecording);
  $("menu").addEventListener("click", (e) => {
    e.stopPropagation();
    $("app").classList.toggle("show-sidebar");
  });
  // A tap on the conversation folds the sidebar away again (narrow screens).
  document.querySelector(".conversation").addEventListener("click", () => $("app").classList.remove("show-sidebar"));
  window.addEventListener("offline", () => setStatus("offline"));
  window.addEventListener("online", () => setStatus(state.socket?.connected ? "connected" : "reconnecting"));
  setInterval(refreshRooms, 15000);
}

async function main() {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
    state.cfg = await res.json();
  } catch (e) {
    showError("login-error", `Cannot load the chat's settings: ${e.message}`);
    return;
  }
  if (typeof io !== "function") {
    showError("login-error", "The socket.io-client bundle did not load.");
    return;
  }
  $("nickname").maxLength = state.cfg.maxNameLen;
  wireUI();
  let saved = "";
  try {
    saved = localStorage.getItem("siogate-chat-name") || "";
  } catch (_) {
    // No storage: no remembered name.
  }
  $("nickname").value = params.get("name") || saved;
  if (params.get("name") || params.get("token")) $("login-form").requestSubmit();
}

main();

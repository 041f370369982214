// The realtime feed: a websocket on /ws that resumes with ?since=SEQ, reconnects with
// exponential backoff and jitter, and falls back to polling /api/events while the websocket
// cannot be opened. Every event row carries `seq`; we remember the last one we saw, so a
// reconnect misses nothing and nothing is delivered twice. The socket signs in with its first
// message, {"type": "auth", "token"}, never in its URL (URLs end up in logs).
//
//   const live = new Live({ api, token: () => session.token, topics: ["menu"], since: 120,
//                           onEvent: (e) => ..., onState: (s) => ... });
//   live.start();
//
// A table guest's feed is `path: "/api/guest/ws", pollPath: "/api/guest/events"`.
//
// `onUnauthorized(error)` hears that the sign-in ended (close code 4401, or a 401 while polling),
// with the box's reason: {code, message, reason}. `onRefused(error)` hears why the edge refused
// the feed (say {code: "unknown_topic"} from an
// older box); when it answers true (it changed `live.topics`, say), the feed tries again at once.
// `onResync(error)` hears that the box will not replay from where the page was (close code
// 4410, or a 410 while polling, code "resync": too far back, a tablet away for a day): the page
// reloads its state over REST and answers the seq to follow from (read before that state:
// /healthz's last_seq); by default it reloads the page.
//
// States: "connecting", "live", "reconnecting", "polling" (websocket down, feed still flowing
// through HTTP), "offline" (nothing reaches the box), "stopped".

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
const POLL_AFTER_FAILURES = 2;

export class Live {
  constructor({ api, token, topics = [], since = 0, onEvent = () => {}, onState = () => {},
    onUnauthorized = () => {}, onRefused = () => false, onResync = reloadPage, pollMs = 3000,
    path = "/ws", pollPath = "/api/events" }) {
    this.api = api;
    this.token = token;
    this.topics = topics;
    this.lastSeq = since;
    this.onEvent = onEvent;
    this.onStateChange = onState;
    this.onUnauthorized = onUnauthorized;
    this.onRefused = onRefused;
    this.onResync = onResync;
    this.refused = null;
    this.pollMs = pollMs;
    this.path = path;
    this.pollPath = pollPath;
    this.state = "stopped";
    this.socket = null;
    this.failures = 0;
    this.retryTimer = null;
    this.pollTimer = null;
    this.polling = false;
    this.running = false;
    this.handleOnline = () => this.reconnectNow();
  }

  start() {
    if (this.running) return;
    this.running = true;
    window.addEventListener("online", this.handleOnline);
    this.setState("connecting");
    this.connect();
  }

  stop() {
    this.running = false;
    window.removeEventListener("online", this.handleOnline);
    clearTimeout(this.retryTimer);
    this.stopPolling();
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.onclose = null;
      socket.close(1000);
    }
    this.setState("stopped");
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onStateChange(state);
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams({ since: String(this.lastSeq) });
    if (this.topics.length) params.set("topics", this.topics.join(","));
    return `${scheme}//${location.host}${this.path}?${params}`;
  }

  connect() {
    if (!this.running) return;
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "auth", token: this.token() || "" }));
      this.failures = 0;
      this.stopPolling();
      this.setState("live");
    };
    socket.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data && data.error) {
        this.refused = data.error;
        return;
      }
      this.deliver(data);
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.running) return;
      if (close.code === 4401) {
        this.stop();
        this.onUnauthorized(this.refused || { code: "session_ended", message: close.reason });
        return;
      }
      const refused = this.refused;
      this.refused = null;
      if (close.code === 4410) {
        this.resync(refused || { code: "resync", message: close.reason });
        return;
      }
      if (refused && close.code >= 4400 && close.code < 4500 && this.onRefused(refused)) {
        this.failures = 0;
        this.connect();
        return;
      }
      this.scheduleReconnect();
    };
  }

  deliver(event) {
    if (!event || typeof event.seq !== "number" || event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    try {
      this.onEvent(event);
    } catch (err) {
      console.error("live: a listener failed", err);
    }
  }

  /** The box will not replay from `lastSeq`: the page reloads its state, then the feed follows
   * from the seq it answers. */
  async resync(error) {
    this.stopPolling();
    this.setState("reconnecting");
    let seq;
    try {
      seq = await this.onResync(error);
    } catch {
      if (this.running) this.scheduleReconnect();
      return;
    }
    if (!this.running) return;
    if (typeof seq === "number") this.lastSeq = seq;
    this.failures = 0;
    this.connect();
  }

  scheduleReconnect() {
    this.failures += 1;
    if (this.failures >= POLL_AFTER_FAILURES) this.startPolling();
    else this.setState("reconnecting");
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.failures - 1));
    const delay = base / 2 + Math.random() * (base / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Try the websocket again at once (the network came back, the page became visible). */
  reconnectNow() {
    if (!this.running || this.socket) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  startPolling() {
    if (this.polling) return;
    this.polling = true;
    this.setState("reconnecting");
    this.poll();
  }

  stopPolling() {
    this.polling = false;
    clearTimeout(this.pollTimer);
  }

  async poll() {
    if (!this.polling || !this.running) return;
    let again = this.pollMs;
    try {
      const params = new URLSearchParams({ since: String(this.lastSeq) });
      if (this.topics.length) params.set("topics", this.topics.join(","));
      const page = await this.api.get(`${this.pollPath}?${params}`);
      if (!this.polling) return;
      for (const event of page.events) this.deliver(event);
      this.lastSeq = Math.max(this.lastSeq, page.last_seq);
      if (page.has_more) again = 0;
      this.setState("polling");
    } catch (err) {
      if (err && err.status === 401) {
        this.stop();
        this.onUnauthorized(err);
        return;
      }
      if (err && err.status === 410) {
        this.resync(err);
        return;
      }
      if (err && err.status >= 400 && err.status < 500 && err.code !== "network" && this.onRefused(err)) again = 0;
      else this.setState("offline");
    }
    if (this.polling) this.pollTimer = setTimeout(() => this.poll(), again);
  }
}

function reloadPage() {
  location.reload();
  return new Promise(() => {}); // the page goes away
}

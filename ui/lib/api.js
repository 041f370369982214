// Talking to the edge: one fetch wrapper for every surface.
//
// Every call sends JSON, adds the bearer token of the signed-in staff member and the paired
// device's credential (X-Galley-Device: the roster and the PIN sign-in need it), and turns the
// edge's error shape {"error": {"code", "message", ...}} into an ApiError, so pages can show
// `err.message` next to the action and branch on `err.code`.
//
// A POST creates or sends something, and each call of one is one user action: it carries a
// fresh Idempotency-Key. When no answer comes back (the Wi-Fi lost the request, or lost the
// answer after the box did the work) it is sent again with the same key, twice at most, so the
// box makes the thing once and answers the retry as it answered the first time.

const RETRY_DELAYS_MS = [300, 1000];

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body && typeof body === "object" ? body.error : null;
  if (error && typeof error === "object") {
    const { code, message, ...details } = error;
    return new ApiError(response.status, code || "http_error",
      message || `the edge answered ${response.status}`, details);
  }
  return new ApiError(response.status, "http_error", `the edge answered ${response.status}`);
}

/** A random key for one action: crypto.randomUUID() exists only in secure contexts, and the
 * pages run on plain http at the box's LAN address; getRandomValues works everywhere. */
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

export class Api {
  /**
   * @param {object} options
   * @param {() => (string|null)} [options.token]  the current bearer token
   * @param {() => (string|null)} [options.device]  this device's credential, once paired
   * @param {(err: ApiError) => void} [options.onUnauthorized]  a 401 on a signed-in call
   * @param {string} [options.base]  prefix for paths (default: same origin)
   * @param {() => object} [options.headers]  more headers for every call (a guest's token)
   */
  constructor({ token = () => null, device = () => null, onUnauthorized = () => {}, base = "",
    headers = () => ({}) } = {}) {
    this.token = token;
    this.device = device;
    this.onUnauthorized = onUnauthorized;
    this.base = base;
    this.headers = headers;
  }

  async raw(method, path, { body, headers = {}, signal } = {}) {
    const token = this.token();
    const all = { Accept: "application/json", ...this.headers(), ...headers };
    if (token) all.Authorization = `Bearer ${token}`;
    const device = this.device();
    if (device) all["X-Galley-Device"] = device;
    const init = { method, headers: all, signal, cache: "no-store" };
    if (body !== undefined) {
      all["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const retries = method === "POST" ? RETRY_DELAYS_MS : [];
    if (method === "POST") all["Idempotency-Key"] ||= idempotencyKey();
    let response;
    for (let attempt = 0; !response; attempt += 1) {
      try {
        response = await fetch(this.base + path, init);
      } catch (cause) {
        if (cause && cause.name === "AbortError") throw cause;
        if (attempt >= retries.length) {
          throw new ApiError(0, "network", "Cannot reach the store box. Check the Wi-Fi and try again.");
        }
        await pause(retries[attempt]);
      }
    }
    if (!response.ok) {
      const err = await errorFrom(response);
      if (response.status === 401 && token) this.onUnauthorized(err);
      throw err;
    }
    return response;
  }

  async request(method, path, options) {
    const response = await this.raw(method, path, options);
    if (response.status === 204) return null;
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  get(path, options) { return this.request("GET", path, options); }
  post(path, body, options) { return this.request("POST", path, { ...options, body }); }
  patch(path, body, options) { return this.request("PATCH", path, { ...options, body }); }
  put(path, body, options) { return this.request("PUT", path, { ...options, body }); }
  delete(path, options) { return this.request("DELETE", path, options); }

  /** A file the edge makes (QR SVG, exports) as a Blob; needs the auth header, so no <a href>. */
  async blob(path) {
    const response = await this.raw("GET", path, { headers: { Accept: "*/*" } });
    return response.blob();
  }
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

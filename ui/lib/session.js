// This browser as the box knows it: the paired device's credential, and who is signed in on
// each surface. Both in localStorage: the credential is one per browser, shared by the surfaces
// of one origin (admin now, POS, waiter and KDS later); a sign-in is per surface, so the POS
// and the admin page in one browser keep separate ones.

const DEVICE_KEY = "galley.device";
const SESSION_PREFIX = "galley.session.";

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // private mode or disabled storage: kept for this page only
  }
}

/** A value kept as JSON under `key` (in memory when the browser keeps nothing). */
class Kept {
  constructor(key) {
    this.key = key;
    this.memory = null;
  }

  read() {
    const store = storage();
    if (!store) return this.memory;
    try {
      return JSON.parse(store.getItem(this.key) || "null");
    } catch {
      return null;
    }
  }

  write(value) {
    const store = storage();
    if (store && value !== null) store.setItem(this.key, JSON.stringify(value));
    else if (store) store.removeItem(this.key);
    this.memory = value;
  }
}

/**
 * The paired device: {credential, id, name}, given once by the box when a pairing code is
 * entered. The roster and the PIN sign-in answer only a paired device (X-Galley-Device).
 */
export class Device {
  constructor() {
    this.kept = new Kept(DEVICE_KEY);
  }

  /** The credential to send as X-Galley-Device, or null on a device not paired yet. */
  get credential() {
    const saved = this.kept.read();
    return saved ? saved.credential : null;
  }

  /** This device's name, as the manager's Devices list shows it. */
  get name() {
    const saved = this.kept.read();
    return saved ? saved.name : "";
  }

  /** Pair this browser with the code a manager made; keeps the credential the box answers. */
  async pair(api, code, name) {
    const body = name ? { code, name } : { code };
    const result = await api.post("/api/devices/pair", body);
    this.kept.write({ credential: result.credential, ...result.device });
    return result.device;
  }
}

export class Session {
  /** Who is signed in on `surface` ("admin", "pos") of this browser. */
  constructor(surface) {
    this.kept = new Kept(SESSION_PREFIX + surface);
    this.listeners = new Set();
    const saved = this.kept.read();
    if (saved && saved.staff && saved.staff.expires_at && Date.parse(saved.staff.expires_at) <= Date.now()) {
      this.clear();
    }
  }

  /** The bearer token, or null when nobody is signed in. */
  get token() {
    const saved = this.kept.read();
    return saved ? saved.token : null;
  }

  /** {id, name, role, device, expires_at} of the signed-in staff member, or null. */
  get staff() {
    const saved = this.kept.read();
    return saved ? saved.staff : null;
  }

  save(token, staff) {
    this.kept.write({ token, staff });
    this.emit();
  }

  clear() {
    this.kept.write(null);
    this.emit();
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit() {
    for (const fn of this.listeners) fn(this.staff);
  }

  /** Sign in with a PIN through `api` (which sends the device's credential); keeps the token on
   * success, rethrows ApiError otherwise. */
  async signIn(api, staffId, pin) {
    const result = await api.post("/api/sessions", { staff_id: staffId, pin });
    this.save(result.token, result.staff);
    return result.staff;
  }

  /** End the sign-in on the edge (best effort) and forget it here. */
  async signOut(api) {
    if (this.token) {
      try {
        await api.delete("/api/sessions/current");
      } catch {
        // Already ended or unreachable: forgetting it locally is what matters.
      }
    }
    this.clear();
  }
}

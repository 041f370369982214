// Who is signed in on this device. Kept in localStorage per device name, so two surfaces
// (say the POS and the admin page) in one browser keep separate sign-ins.

const PREFIX = "galley.session.";
const DEVICE_PREFIX = "galley.device.";

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // private mode or disabled storage: sign-in lasts for this page only
  }
}

/** A stable name for this browser on this surface, e.g. "admin-7f3k"; the edge logs it. */
export function deviceName(surface) {
  const store = storage();
  const key = DEVICE_PREFIX + surface;
  let name = store ? store.getItem(key) : null;
  if (!name) {
    const suffix = Math.random().toString(36).slice(2, 6);
    name = `${surface}-${suffix}`;
    if (store) store.setItem(key, name);
  }
  return name;
}

export class Session {
  constructor(device) {
    this.device = device;
    this.key = PREFIX + device;
    this.memory = null;
    this.listeners = new Set();
    const saved = this.read();
    if (saved && saved.staff && saved.staff.expires_at && Date.parse(saved.staff.expires_at) <= Date.now()) {
      this.clear();
    }
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

  /** The bearer token, or null when nobody is signed in. */
  get token() {
    const saved = this.read();
    return saved ? saved.token : null;
  }

  /** {id, name, role, device, expires_at} of the signed-in staff member, or null. */
  get staff() {
    const saved = this.read();
    return saved ? saved.staff : null;
  }

  save(token, staff) {
    const value = { token, staff };
    const store = storage();
    if (store) store.setItem(this.key, JSON.stringify(value));
    else this.memory = value;
    this.emit();
  }

  clear() {
    const store = storage();
    if (store) store.removeItem(this.key);
    this.memory = null;
    this.emit();
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit() {
    for (const fn of this.listeners) fn(this.staff);
  }

  /** Sign in with a PIN through `api`; keeps the token on success, rethrows ApiError otherwise. */
  async signIn(api, staffId, pin) {
    const result = await api.post("/api/sessions", { staff_id: staffId, pin, device: this.device });
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

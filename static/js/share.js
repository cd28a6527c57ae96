// The page URL as the run's shareable state: `?params=<JSON>` holds exactly the params
// that differ from the lab's defaults — the same object the websocket's `params` query
// takes — so opening the link starts the same run. Also remembers this tab's run id so a
// reload takes the run over instead of starting afresh.

/** JSON with object keys sorted, so the same value always reads the same. */
export function stableJson(value) {
  return JSON.stringify(value, (_, v) => (v && typeof v === "object" && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

const same = (a, b) => stableJson(a) === stableJson(b);

/** The params of a page query (`?params=…`); {} when absent, null when unreadable. */
export function readParams(search) {
  const raw = new URLSearchParams(search).get("params");
  if (!raw) return {};
  try {
    const value = JSON.parse(raw);
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** The params that differ from `defaults`. */
export function changedParams(params, defaults) {
  return Object.fromEntries(Object.entries(params).filter(([k, v]) => !same(v, defaults[k])));
}

/** The query string that restores `params` ("" when they are all defaults). */
export function shareQuery(params, defaults) {
  const changed = changedParams(params, defaults);
  if (!Object.keys(changed).length) return "";
  return `?${new URLSearchParams({ params: JSON.stringify(changed) })}`;
}

/** Put `params` into the address bar without adding a history entry. */
export function updateUrl(params, defaults) {
  const query = shareQuery(params, defaults);
  if (query !== location.search) {
    history.replaceState(null, "", `${location.pathname}${query}${location.hash}`);
  }
  return location.href;
}

const runKey = (labId) => `layerwise:run:${labId}`;

/** The run this tab had at this very URL (a reload), or null. */
export function rememberedRun(labId) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(runKey(labId)) ?? "null");
    return saved && saved.search === location.search ? saved.run : null;
  } catch {
    return null;
  }
}

/** Remember the tab's run and the URL it goes with. */
export function rememberRun(labId, run) {
  try {
    sessionStorage.setItem(runKey(labId), JSON.stringify({ run, search: location.search }));
  } catch {
    // Storage can be disabled; a reload then simply starts a new run.
  }
}

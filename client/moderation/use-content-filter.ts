import { useEffect, useSyncExternalStore } from "react";
import { ContentFilter, contentFilterRulesSchema, NO_CONTENT_FILTER } from "../../shared/content-filter/index.ts";
import type { Api } from "../api/http.ts";

// The last rules fetched, kept so a message written offline is masked the way the server wants.
const STORAGE_KEY = "chat.contentFilter";

function stored(): ContentFilter {
  try {
    const parsed = contentFilterRulesSchema.safeParse(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null"));
    return new ContentFilter(parsed.success ? parsed.data : NO_CONTENT_FILTER);
  } catch {
    return new ContentFilter(NO_CONTENT_FILTER);
  }
}

let current: ContentFilter | null = null;
let fetched = false;
const listeners = new Set<() => void>();

async function refresh(api: Api): Promise<void> {
  fetched = true;
  try {
    const rules = contentFilterRulesSchema.parse(await api.get("/api/v1/content-filter"));
    localStorage.setItem(STORAGE_KEY, JSON.stringify(rules));
    current = new ContentFilter(rules);
    for (const listener of listeners) listener();
  } catch {
    // Offline or refused: the stored rules stand, and the next start asks again.
    fetched = false;
  }
}

/**
 * Fetch the rules again now: after the server refused text as filtered, the rules changed since
 * they were fetched (an honest app never trips them otherwise), and "Send again" must use the new ones.
 */
export function reloadContentFilter(api: Api): Promise<void> {
  return refresh(api);
}

/**
 * The server's content filter, as last fetched: the app masks with it before sending (so a masking
 * room never refuses an honest message) and warns before sending what a refusing room would refuse.
 */
export function useContentFilter(api: Api): ContentFilter {
  const filter = useSyncExternalStore(
    (onChange) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    () => {
      current ??= stored();
      return current;
    },
  );
  useEffect(() => {
    if (!fetched) void refresh(api);
  }, [api]);
  return filter;
}

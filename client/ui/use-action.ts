import { useCallback, useState } from "react";
import { errorText } from "../api/http.ts";

/**
 * Run a user's action and keep its error in words for an `alert`: nothing fails silently.
 * Returns the runner, the last error (cleared by the next run) and whether one is running.
 */
export function useAction(): [<T>(action: () => Promise<T>) => Promise<T | undefined>, string | null, boolean] {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(async <T>(action: () => Promise<T>) => {
    setError(null);
    setBusy(true);
    try {
      return await action();
    } catch (caught) {
      setError(errorText(caught));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return [run, error, busy];
}

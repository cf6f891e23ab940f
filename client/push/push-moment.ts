import { useSyncExternalStore } from "react";

// The moment to offer notifications: right after the user sent a message in this page's life.
// They have just started a conversation, so "tell me when they answer" makes sense to them then,
// unlike a permission prompt on page load.
let messageSent = false;
const listeners = new Set<() => void>();

/** The user sent a message (called by the room screen). */
export function noteMessageSent(): void {
  if (messageSent) return;
  messageSent = true;
  for (const listener of listeners) listener();
}

/** True once the user has sent a message since the page loaded. */
export function useMessageSent(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    () => messageSent,
  );
}

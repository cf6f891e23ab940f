import type { MessageState } from "../room/timeline.ts";

const TITLES: Record<MessageState, string> = {
  waiting: "Waiting to be sent",
  saved: "Sent",
  seen: "Seen",
};

/**
 * A message's state as chat apps show it: a clock while it waits, one tick once the server has
 * it, two coloured ticks once someone read it. The words (`waiting`, `saved`, `seen`) are its
 * accessible name.
 */
export function StateTicks({ state }: { state: MessageState }) {
  return (
    <span className={`state state-${state}`} role="img" aria-label={state} title={TITLES[state]}>
      <svg viewBox="0 0 20 12" width="20" height="12" aria-hidden="true" focusable="false">
        {state === "waiting" ? (
          <g fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round">
            <circle cx="10" cy="6" r="5" />
            <path d="M10 3.2V6l2 1.4" />
          </g>
        ) : (
          <g fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
            <path d="M2 6.5l3 3 6-7" />
            {state === "seen" && <path d="M8 8.5l1 1 6-7" />}
          </g>
        )}
      </svg>
    </span>
  );
}

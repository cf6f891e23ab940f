import { useSyncStatus } from "../session/chat-context.tsx";
import type { SyncStatus } from "../sync/chat-sync.ts";

const LABELS = { online: "Online", offline: "Offline", syncing: "Syncing" } as const;

/** Online, offline or syncing, with how many of my changes wait for the server. */
export function ConnectionBadge({ connection, waiting }: SyncStatus) {
  return (
    <div role="status" aria-label="Connection" className={`connection connection-${connection}`}>
      <span className="dot" aria-hidden="true" />
      {LABELS[connection]}
      {waiting > 0 ? ` · ${waiting} waiting` : ""}
    </div>
  );
}

/** The badge for this tab's sync. */
export function ConnectionStatus() {
  return <ConnectionBadge {...useSyncStatus()} />;
}

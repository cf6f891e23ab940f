import { useSyncStatus } from "../session/chat-context.tsx";

const LABELS = { online: "Online", offline: "Offline", syncing: "Syncing" } as const;

/** Online, offline or syncing, with how many of my changes wait for the server. */
export function ConnectionStatus() {
  const { connection, waiting } = useSyncStatus();
  return (
    <div role="status" aria-label="Connection" className={`connection connection-${connection}`}>
      <span className="dot" aria-hidden="true" />
      {LABELS[connection]}
      {waiting > 0 ? ` · ${waiting} waiting` : ""}
    </div>
  );
}

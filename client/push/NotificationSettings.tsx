import { useEffect, useState } from "react";
import type { PushPreferences } from "../../shared/api/push.ts";
import { useChat } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { useAction } from "../ui/use-action.ts";
import { disablePush, enablePush, type PushState, pushState } from "./web-push.ts";

const PREFERENCES = "/api/v1/push/preferences";

const KINDS: Array<{ kind: keyof PushPreferences; label: string }> = [
  { kind: "messages", label: "New messages" },
  { kind: "mentions", label: "Mentions" },
  { kind: "friend_requests", label: "Friend requests" },
];

/** Notifications on this device, and which kinds I get on all of mine. */
export function NotificationSettings() {
  const { api, session } = useChat();
  const userId = session.user.id;
  const [state, setState] = useState<PushState | null>(null);
  const [preferences, setPreferences] = useState<PushPreferences | null>(null);
  const [run, error, busy] = useAction();

  useEffect(() => {
    pushState(userId).then(setState, () => setState("unsupported"));
    void run(async () => setPreferences(await api.get<PushPreferences>(PREFERENCES)));
  }, [api, userId, run]);

  const choose = (kind: keyof PushPreferences, on: boolean) =>
    void run(async () => setPreferences(await api.put<PushPreferences>(PREFERENCES, { [kind]: on })));
  const turnOn = () => void run(async () => setState(await enablePush(api, userId)));
  const turnOff = () =>
    void run(async () => {
      await disablePush(api, userId);
      setState("off");
    });

  return (
    <section className="stack" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      {state === "unsupported" && <p>This browser cannot show notifications from the app.</p>}
      {state === "denied" && <p>Notifications are blocked for this site: allow them in the browser's site settings.</p>}
      {state === "off" && (
        <button type="button" onClick={turnOn} disabled={busy}>
          Turn on notifications
        </button>
      )}
      {state === "on" && (
        <p className="row">
          On for this device.
          <button type="button" onClick={turnOff} disabled={busy}>
            Turn off on this device
          </button>
        </p>
      )}
      <fieldset disabled={!preferences || busy}>
        <legend>Notify me, when I am not in the app, of</legend>
        {KINDS.map(({ kind, label }) => (
          <label key={kind} className="check">
            <input type="checkbox" checked={preferences?.[kind] ?? true} onChange={(e) => choose(kind, e.target.checked)} />
            {label}
          </label>
        ))}
      </fieldset>
      <p className="hint">A muted chat notifies you only when someone mentions you (@{session.user.username}).</p>
      <ErrorAlert error={error} />
    </section>
  );
}

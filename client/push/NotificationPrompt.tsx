import { useEffect, useState } from "react";
import { useChat } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { useAction } from "../ui/use-action.ts";
import { useMessageSent } from "./push-moment.ts";
import { declinePush, enablePush, type PushState, pushChoice, pushState, refreshPush } from "./web-push.ts";

/**
 * Offers notifications once, after the user's first message, to a user who has never chosen; the
 * browser's own prompt only follows their click. Also re-posts the subscription of a user who
 * turned notifications on, each time the app starts.
 */
export function NotificationPrompt() {
  const { api, session } = useChat();
  const userId = session.user.id;
  const sent = useMessageSent();
  const [state, setState] = useState<PushState | null>(null);
  const [answered, setAnswered] = useState(() => pushChoice(userId) !== null);
  const [run, error, busy] = useAction();

  useEffect(() => {
    refreshPush(api, userId).catch(() => {});
    pushState(userId).then(setState, () => setState("unsupported"));
  }, [api, userId]);

  if (!sent || answered || state !== "off") return error ? <ErrorAlert error={error} /> : null;
  const turnOn = () =>
    void run(async () => {
      setAnswered(true);
      setState(await enablePush(api, userId));
    });
  const notNow = () => {
    declinePush(userId);
    setAnswered(true);
  };
  return (
    <aside className="push-prompt" aria-label="Notifications">
      <p>Get a notification when someone answers while you are away?</p>
      <button type="button" onClick={turnOn} disabled={busy}>
        Turn on notifications
      </button>
      <button type="button" onClick={notNow}>
        Not now
      </button>
    </aside>
  );
}

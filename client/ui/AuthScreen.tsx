import { type FormEvent, useState } from "react";
import type { SessionResponse } from "../../shared/api/auth.ts";
import { Api } from "../api/http.ts";
import type { Session } from "../session/session-store.ts";
import { ErrorAlert } from "./ErrorAlert.tsx";
import { useAction } from "./use-action.ts";

/** Log in, or create an account. */
export function AuthScreen({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [mode, setMode] = useState<"login" | "signup">("login");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [run, error, busy] = useAction();
  const signup = mode === "signup";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const api = new Api(() => null);
      const body = signup
        ? { username, password, ...(displayName.trim() ? { display_name: displayName.trim() } : {}) }
        : { username, password };
      const answer = await api.post<SessionResponse>(`/api/v1/auth/${signup ? "signup" : "login"}`, body);
      onSignedIn({ token: answer.token, user: answer.user });
    });
  };

  return (
    <main className="auth">
      <h1>{signup ? "Create your account" : "Sign in"}</h1>
      <form onSubmit={submit}>
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={signup ? "new-password" : "current-password"}
            required
          />
        </label>
        {signup && (
          <label>
            Display name
            <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="nickname" />
          </label>
        )}
        <ErrorAlert error={error} />
        <button type="submit" disabled={busy}>
          {signup ? "Create account" : "Log in"}
        </button>
      </form>
      <button type="button" className="link" onClick={() => setMode(signup ? "login" : "signup")}>
        {signup ? "I have an account" : "I have no account"}
      </button>
    </main>
  );
}

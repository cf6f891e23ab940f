import { type FormEvent, useState } from "react";
import type { SessionResponse } from "../../shared/api/auth.ts";
import { Api } from "../api/http.ts";
import type { Session } from "../session/session-store.ts";
import { ErrorAlert } from "./ErrorAlert.tsx";
import { type FieldErrors, type SignupField, serverFieldError, signupFieldErrors } from "./signup-errors.ts";
import { useAction } from "./use-action.ts";

/** Log in, or create an account; what is wrong with a field is said next to it, in words. */
export function AuthScreen({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [mode, setMode] = useState<"login" | "signup">("login");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [run, error, busy] = useAction();
  const signup = mode === "signup";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = signup
      ? { username, password, ...(displayName.trim() ? { display_name: displayName.trim() } : {}) }
      : { username, password };
    const found = signup ? signupFieldErrors(body) : {};
    setFieldErrors(found);
    if (Object.keys(found).length > 0) return;
    void run(async () => {
      try {
        const answer = await new Api(() => null).post<SessionResponse>(`/api/v1/auth/${signup ? "signup" : "login"}`, body);
        onSignedIn({ token: answer.token, user: answer.user });
      } catch (caught) {
        const forField = signup ? serverFieldError(caught) : null;
        if (!forField) throw caught;
        setFieldErrors(forField);
      }
    });
  };
  const field = (name: SignupField) => ({
    "aria-invalid": fieldErrors[name] ? true : undefined,
    "aria-describedby": fieldErrors[name] ? `${name}-error` : undefined,
  });
  const fieldError = (name: SignupField) =>
    fieldErrors[name] ? (
      <p id={`${name}-error`} className="field-error">
        {fieldErrors[name]}
      </p>
    ) : null;

  return (
    <main className="auth">
      <h1>{signup ? "Create your account" : "Sign in"}</h1>
      <form onSubmit={submit} noValidate={signup}>
        <div className="field">
          <label>
            Username
            <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required {...field("username")} />
          </label>
          {fieldError("username")}
        </div>
        <div className="field">
          <label>
            Password
            <input
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete={signup ? "new-password" : "current-password"}
              required
              {...field("password")}
            />
          </label>
          {signup && !fieldErrors.password && <p className="hint">At least 8 characters.</p>}
          {fieldError("password")}
        </div>
        {signup && (
          <div className="field">
            <label>
              Display name
              <input
                value={displayName}
                onChange={(e) => setDisplayName(e.target.value)}
                autoComplete="nickname"
                {...field("display_name")}
              />
            </label>
            {fieldError("display_name")}
          </div>
        )}
        <ErrorAlert error={error} />
        <button type="submit" disabled={busy}>
          {signup ? "Create account" : "Log in"}
        </button>
      </form>
      <button
        type="button"
        className="link"
        onClick={() => {
          setFieldErrors({});
          setMode(signup ? "login" : "signup");
        }}
      >
        {signup ? "I have an account" : "I have no account"}
      </button>
    </main>
  );
}

import type { ErrorCode } from "../../shared/errors.ts";

/** A refusal from the API, in the server's own words, or a network failure (`offline`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "offline",
    message: string,
  ) {
    super(message);
  }
}

/** The small REST client of the app: JSON in and out, the session token, errors as ApiError. */
export class Api {
  constructor(private readonly token: () => string | null) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      const token = this.token();
      response = await fetch(path, {
        method,
        headers: {
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "offline", "You are offline: this needs a connection to the server.");
    }
    const text = await response.text();
    const json: unknown = text ? safeJson(text) : null;
    if (!response.ok) {
      const error = (json as { error?: { code?: ErrorCode; message?: string } } | null)?.error;
      throw new ApiError(response.status, error?.code ?? "internal", error?.message ?? `The server answered ${response.status}.`);
    }
    return json as T;
  }

  get = <T>(path: string) => this.request<T>("GET", path);
  post = <T>(path: string, body: unknown = {}) => this.request<T>("POST", path, body);
  put = <T>(path: string, body: unknown = {}) => this.request<T>("PUT", path, body);
  delete = <T>(path: string) => this.request<T>("DELETE", path);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Words for any error, for an `alert`. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

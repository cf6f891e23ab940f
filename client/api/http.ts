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

  /**
   * Send raw bytes (an upload) with progress: fetch cannot report upload progress, XMLHttpRequest
   * can. `onProgress` gets the fraction sent, 0 to 1.
   */
  upload<T>(path: string, body: Blob, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<T> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      signal?.addEventListener("abort", () => xhr.abort());
      xhr.onabort = () => reject(new ApiError(0, "offline", "The upload was stopped."));
      xhr.open("POST", path);
      const token = this.token();
      if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
      xhr.setRequestHeader("content-type", "application/octet-stream");
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      };
      xhr.onerror = () => reject(new ApiError(0, "offline", "You are offline: the upload waits for a connection."));
      xhr.onload = () => {
        const json = xhr.responseText ? safeJson(xhr.responseText) : null;
        if (xhr.status >= 200 && xhr.status < 300) return resolve(json as T);
        const error = (json as { error?: { code?: ErrorCode; message?: string } } | null)?.error;
        reject(new ApiError(xhr.status, error?.code ?? "internal", error?.message ?? `The server answered ${xhr.status}.`));
      };
      xhr.send(body);
    });
  }

  /** Bytes the server guards (media), with the session token, or an ApiError. */
  async blob(path: string): Promise<Blob> {
    let response: Response;
    try {
      const token = this.token();
      response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    } catch {
      throw new ApiError(0, "offline", "You are offline: this needs a connection to the server.");
    }
    if (!response.ok) {
      const json = safeJson(await response.text()) as { error?: { code?: ErrorCode; message?: string } } | null;
      throw new ApiError(
        response.status,
        json?.error?.code ?? "internal",
        json?.error?.message ?? `The server answered ${response.status}.`,
      );
    }
    return response.blob();
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

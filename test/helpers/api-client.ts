import { randomBytes } from "node:crypto";

/** A response as a test sees it: status, headers and parsed JSON body. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A tiny REST client for tests, speaking to a real server over HTTP. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    public token?: string,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const init: RequestInit = {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    };
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : null,
    };
  }

  get = <T = any>(path: string) => this.request<T>("GET", path);
  post = <T = any>(path: string, body?: unknown) => this.request<T>("POST", path, body ?? {});
  put = <T = any>(path: string, body?: unknown) => this.request<T>("PUT", path, body ?? {});
  delete = <T = any>(path: string) => this.request<T>("DELETE", path);
}

/** A signed-up user with a logged-in client. */
export interface TestUser {
  id: string;
  username: string;
  token: string;
  api: ApiClient;
}

/** Sign up a new user with a unique name and return their logged-in client. */
export async function signUp(baseUrl: string, name = "user"): Promise<TestUser> {
  const username = `${name}_${randomBytes(4).toString("hex")}`;
  const api = new ApiClient(baseUrl);
  const res = await api.post("/api/v1/auth/signup", {
    username,
    password: "correct horse battery",
    display_name: name,
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  api.token = res.body.token;
  return { id: res.body.user.id, username, token: res.body.token, api };
}

/** Sign up one user per name, in parallel. */
export function signUpAll<const N extends readonly string[]>(baseUrl: string, ...names: N): Promise<{ [K in keyof N]: TestUser }> {
  return Promise.all(names.map((n) => signUp(baseUrl, n))) as Promise<{ [K in keyof N]: TestUser }>;
}

/** Every message id stored in a room, oldest first, read over REST page by page (duplicates kept, to count them). */
export async function storedMessageIds(api: ApiClient, roomId: string): Promise<string[]> {
  const ids: string[] = [];
  let before: string | null = null;
  do {
    const page: { status: number; body: { items: Array<{ id: string }>; next_cursor: string | null } } = await api.get(
      `/api/v1/chat/messages/${roomId}?limit=100${before ? `&before=${before}` : ""}`,
    );
    if (page.status !== 200) throw new Error(`GET messages: ${page.status}`);
    ids.unshift(...page.body.items.map((m) => m.id));
    before = page.body.next_cursor;
  } while (before);
  return ids;
}

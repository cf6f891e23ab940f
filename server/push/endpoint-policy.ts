import { isIP } from "node:net";

/**
 * Why the server will not POST to `endpoint`, or null when it may. A subscription's endpoint is a
 * URL any user can hand us, and the server sends requests to it: unchecked, that is a
 * server-side request forgery into the server's own network. Real push services (FCM, Mozilla,
 * Apple, Windows) are https on public host names, so only that is accepted. Tests set
 * PUSH_ALLOW_INSECURE_ENDPOINTS to reach a recorder on loopback over http.
 *
 * This refuses the obvious internal targets (IP literals, localhost); a public name that resolves
 * to a private address is not caught here (docs/push.md says how to close that at the network).
 */
export function refusedPushEndpoint(endpoint: string, allowInsecure: boolean): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "the endpoint is not a URL";
  }
  if (url.username || url.password) return "the endpoint may not carry credentials";
  if (allowInsecure) return url.protocol === "https:" || url.protocol === "http:" ? null : "the endpoint must be an http(s) URL";
  if (url.protocol !== "https:") return "the endpoint must be an https URL";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isIP(host) !== 0) return "the endpoint must name a push service, not an IP address";
  if (host === "localhost" || host.endsWith(".localhost") || !host.includes(".")) return "the endpoint must name a public push service";
  return null;
}

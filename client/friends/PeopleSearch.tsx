import { useEffect, useState } from "react";
import type { ListEnvelope } from "../../shared/api/common.ts";
import type { UserSearchResult } from "../../shared/api/users.ts";
import { useChat } from "../session/chat-context.tsx";
import { ErrorAlert } from "../ui/ErrorAlert.tsx";
import { nameOf } from "../ui/names.ts";
import { useAction } from "../ui/use-action.ts";

const RELATIONSHIP_WORDS: Record<UserSearchResult["relationship"], string> = {
  none: "",
  friends: "Friends",
  request_sent: "Request sent",
  request_received: "Asked you to be friends",
  blocked_by_me: "Blocked",
  self: "You",
};

/** Find people by username or display name; ask the ones I do not know yet. */
export function PeopleSearch({ onAdd, changed }: { onAdd: (user: { id: string; name: string }) => void; changed: string }) {
  const { api } = useChat();
  const [q, setQ] = useState("");
  const [hits, setHits] = useState<UserSearchResult[]>([]);
  const [run, error] = useAction();
  // `changed` asks again after a request changed someone's relationship.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `changed` is a trigger, not an input
  useEffect(() => {
    const query = q.trim();
    if (!query) {
      setHits([]);
      return;
    }
    // Wait for a pause in typing rather than asking on every keystroke.
    const timer = setTimeout(() => {
      void run(async () => {
        const page = await api.get<ListEnvelope<UserSearchResult>>(`/api/v1/users/search?q=${encodeURIComponent(query)}&limit=20`);
        setHits(page.items);
      });
    }, 250);
    return () => clearTimeout(timer);
  }, [q, api, run, changed]);

  return (
    <section aria-labelledby="search-title">
      <h3 id="search-title">Find people</h3>
      <input type="search" aria-label="Search people" placeholder="Username or name" value={q} onChange={(e) => setQ(e.target.value)} />
      <ErrorAlert error={error} />
      <ul aria-label="Search results">
        {hits.map((hit) => (
          <li key={hit.id}>
            <span className="person">
              {nameOf(hit)} <small>@{hit.username}</small>
            </span>
            {hit.relationship === "none" ? (
              <button type="button" onClick={() => onAdd({ id: hit.id, name: nameOf(hit) })}>
                Add friend
              </button>
            ) : (
              <small>{RELATIONSHIP_WORDS[hit.relationship]}</small>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

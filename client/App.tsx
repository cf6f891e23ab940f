import { useEffect, useState } from "react";

/** Placeholder shell until the web-app issue: shows that the server and its database answer. */
export function App() {
  const [status, setStatus] = useState("checking the server…");
  useEffect(() => {
    fetch("/api/v1/health")
      .then((r) => r.json())
      .then((body: { backend: string }) => setStatus(`server is up (database: ${body.backend})`))
      .catch(() => setStatus("server unreachable"));
  }, []);
  return (
    <main>
      <h1>Chat</h1>
      <p role="status">{status}</p>
    </main>
  );
}

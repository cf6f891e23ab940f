import { registerSW } from "virtual:pwa-register";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
// Twemoji as a COLR colour font (twemoji-colr-font): emoji draw in colour where the system has no emoji font.
import "twemoji-colr-font/twemoji.css";
import "./styles.css";

// The service worker caches the app shell, so the app opens with no network.
registerSW({ immediate: true });

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );

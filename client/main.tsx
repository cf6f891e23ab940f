import { registerSW } from "virtual:pwa-register";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import "@fontsource/noto-color-emoji/400.css";
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

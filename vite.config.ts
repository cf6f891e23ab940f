import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

/** The web app: built into dist/client and served by the server at `/`; an installable PWA. */
export default defineConfig({
  root: "client",
  plugins: [
    react(),
    VitePWA({
      registerType: "autoUpdate",
      // The service worker precaches the shell; navigations offline get index.html. The API and
      // the WebSocket are never cached: documents live in IndexedDB, not in the HTTP cache.
      workbox: {
        // woff2: the emoji font (twemoji-colr-font, ~470 KB), so emoji draw in colour offline too,
        // on systems without a colour emoji font of their own.
        globPatterns: ["**/*.{js,css,html,svg,webmanifest,woff2}"],
        navigateFallback: "/index.html",
        navigateFallbackDenylist: [/^\/api\//],
        // Web Push: show notifications and open their room on click (client/public/push-handler.js).
        importScripts: ["push-handler.js"],
      },
      manifest: {
        name: "Crew chat",
        short_name: "Crew chat",
        description: "Chat and friends for your training crew, online or not.",
        theme_color: "#1f6f5c",
        background_color: "#f6f7f5",
        display: "standalone",
        start_url: "/",
        icons: [{ src: "/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" }],
      },
    }),
  ],
  build: { outDir: "../dist/client", emptyOutDir: true },
  server: {
    proxy: { "/api": { target: "http://localhost:8787", ws: true } },
  },
});

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The web app: built into dist/client and served by the server at `/`. */
export default defineConfig({
  root: "client",
  plugins: [react()],
  build: { outDir: "../dist/client", emptyOutDir: true },
  server: {
    proxy: { "/api": { target: "http://localhost:8787", ws: true } },
  },
});

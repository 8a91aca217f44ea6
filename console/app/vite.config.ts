// Vite build of the web console app (scripts/build-console.mjs runs it after the verify page).
// The app is served at /console by every node (src/api/routes/console.ts): index.html lands in
// dist/console/ and the content-hashed bundles in dist/console/assets/, beside the verify
// page's, where the existing asset route serves them with long-lived caching.
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  // Absolute: with hash routing the page is always /console, but /console/<anything> falls back to it too.
  base: "/console/",
  plugins: [react()],
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../../dist/console/", import.meta.url)),
    // build-console.mjs empties dist/console/ once and the verify page is built first.
    emptyOutDir: false,
    target: ["es2022", "chrome111", "firefox113", "safari16.4"],
    sourcemap: true,
    // Every asset name must match the asset route's pattern (a letter first, no separators).
    rollupOptions: {
      output: {
        entryFileNames: "assets/app-[hash].js",
        chunkFileNames: "assets/app-chunk-[hash].js",
        assetFileNames: "assets/app-[hash][extname]",
      },
    },
    chunkSizeWarningLimit: 1024,
  },
});

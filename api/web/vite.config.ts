import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// Served by the API at /console/ (see api/web_console.py); every asset is bundled: the
// console needs nothing from the internet, no CDN and no remote tiles.
export default defineConfig({
  base: "/console/",
  plugins: [preact()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "^/(auth|me|fields|zones|missions|notifications|deliveries|depots|drop-points|delivery-vehicles|vehicles|flight-logs|city|open-data)": "http://127.0.0.1:8000" } },
});

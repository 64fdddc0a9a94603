// Only for Vite older than 8 (the package README says so): its dev server pre-bundles
// dependencies into node_modules/.vite/deps, where the .wasm the package asks for next
// to its module does not exist, and the request returns the app's HTML page instead.
import { defineConfig } from 'vite';

export default defineConfig({
  optimizeDeps: { exclude: ['@openova/catalyst-guard'] },
});

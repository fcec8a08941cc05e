/**
 * Window entry: mount the app, connect to the main side, then mark the page
 * ready. Test hook: `document.body.dataset.ready === '1'` once the API client
 * is connected and info() has answered (e2e tests wait for it before acting).
 */
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { connectApi } from './api/client';
import { useLoadStore } from './stores/load';
import { syncViewState } from './stores/view-state-sync';
import './styles.css';

const pinia = createPinia();
createApp(App).use(pinia).mount('#app');

const load = useLoadStore(pinia);
connectApi({ onClose: (message) => load.fail(message) })
  .then(async (api) => {
    await load.connect(api);
    syncViewState(api);
  })
  .then(() => {
    document.body.dataset.ready = '1';
    // The web host's printed address asks for the same start as the desktop app.
    const scenario = new URLSearchParams(window.location.search).get('scenario');
    if (scenario) void load.openScenario(scenario);
  })
  .catch((e: unknown) => {
    load.fail(e instanceof Error ? e.message : String(e));
  });

import { runMain } from '@spor/service-kit';
import { startConsent } from './service.js';

runMain('consent', async () => {
  const { runtime } = await startConsent(process.env);
  runtime.installSignalHandlers();
});

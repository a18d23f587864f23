import { runMain } from '@spor/service-kit';
import { startReporting } from './service.js';

runMain('reporting', async () => {
  const { runtime } = await startReporting(process.env);
  runtime.installSignalHandlers();
});

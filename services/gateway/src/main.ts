import { runMain } from '@spor/service-kit';
import { startGateway } from './service.js';

runMain('gateway', async () => {
  const { runtime } = await startGateway(process.env);
  runtime.installSignalHandlers();
});

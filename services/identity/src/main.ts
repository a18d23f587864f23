import { runMain } from '@spor/service-kit';
import { startIdentity } from './service.js';

runMain('identity', async () => {
  const { runtime } = await startIdentity(process.env);
  runtime.installSignalHandlers();
});
